/// Collects what one engine call decides: storage writes are gathered into one `.persist`, placed first.
struct EffectSink {
    private var writes: [StorageWrite] = []
    private var effects: [Effect] = []

    mutating func persist(_ write: StorageWrite) { writes.append(write) }
    mutating func send(_ to: [ConnectionID], _ message: ServerMessage) {
        if !to.isEmpty { effects.append(.send(to, message)) }
    }
    mutating func send(_ to: ConnectionID, _ message: ServerMessage) { effects.append(.send([to], message)) }
    mutating func append(_ effect: Effect) { effects.append(effect) }

    mutating func drain() -> [Effect] {
        defer { writes = []; effects = [] }
        return writes.isEmpty ? effects : [.persist(writes)] + effects
    }
}
