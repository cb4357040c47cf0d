/// Writes the Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE`, then samples. Pure value;
/// not thread-safe (build one per scrape).
struct PrometheusText {
    private(set) var text = ""

    /// A metric with one unlabelled sample.
    mutating func single(_ name: String, _ type: String, _ help: String, _ value: Double) {
        header(name, type, help)
        sample(name, [:], value)
    }

    /// A metric with one sample per label set (sorted by label values, so scrapes compare line by line).
    mutating func labelled(_ name: String, _ type: String, _ help: String, label: String, _ values: [String: Double]) {
        header(name, type, help)
        for (key, value) in values.sorted(by: { $0.key < $1.key }) { sample(name, [label: key], value) }
    }

    /// A histogram from its cumulative bucket counts (upper bounds ascending), sum and count.
    mutating func histogram(_ name: String, _ help: String, _ histogram: Histogram) {
        header(name, "histogram", help)
        var cumulative = 0
        for (bound, count) in zip(histogram.bounds, histogram.counts) {
            cumulative += count
            sample(name + "_bucket", ["le": Self.number(bound)], Double(cumulative))
        }
        sample(name + "_bucket", ["le": "+Inf"], Double(histogram.count))
        sample(name + "_sum", [:], histogram.sum)
        sample(name + "_count", [:], Double(histogram.count))
    }

    private mutating func header(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n"))\n"
        text += "# TYPE \(name) \(type)\n"
    }

    private mutating func sample(_ name: String, _ labels: [String: String], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escape($0.value))\"" }
                .joined(separator: ",") + "}"
        }
        text += " " + Self.number(value) + "\n"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// A histogram with fixed upper bounds: counts per bucket (not cumulative), sum and count. Not thread-safe.
struct Histogram {
    let bounds: [Double]
    private(set) var counts: [Int]
    private(set) var sum = 0.0
    private(set) var count = 0

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count)
    }

    mutating func observe(_ value: Double) {
        sum += value
        count += 1
        if let index = bounds.firstIndex(where: { value <= $0 }) { counts[index] += 1 }
    }
}
