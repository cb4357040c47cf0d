import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// Search and listing latency on 10,000 chats (5 messages each), on both backends. A benchmark: it prints figures
/// and asserts nothing about speed. Runs only with CHATD_BENCH_SEARCH=1 (it takes a minute): `Scripts/bench --storage`.
final class SearchScaleBenchmark: StorageContractCase {
    func testSearchLatencyOnTenThousandChats() throws {
        guard ProcessInfo.processInfo.environment["CHATD_BENCH_SEARCH"] == "1" else {
            throw XCTSkip("set CHATD_BENCH_SEARCH=1")
        }
        let words = ["invoice", "printer", "crème", "brûlée", "order", "shipping", "refund", "password", "login",
                     "template", "proof", "upload", "color", "margin", "bleed", "paper", "delivery", "quote", "tax", "stock"]
        try forEachBackend { store, name in
            try store.createOrganization(id: "acme", name: "Acme Corporation", planID: "hv", regionID: nil,
                                         createdAt: Fixture.at(0))
            var generator = SplitMix(seed: 20_261_130)  // the same chats on both backends
            let started = Date()
            for batch in 0..<20 {
                var writes: [StorageWrite] = []
                for n in 0..<500 {
                    let id = SessionID(batch * 500 + n + 1)
                    writes.append(.createSession(Fixture.session(id, contact: "c\(id % 300)", createdAt: Double(id))))
                    for seq in Seq(1)...5 {
                        let text = (0..<8).map { _ in words[Int(generator.next() % UInt64(words.count))] }
                            .joined(separator: " ") + (id % 1000 == 0 && seq == 3 ? " zanzibar" : "")
                        writes.append(.appendEvent(Fixture.message(id, seq: seq, text: text)))
                    }
                }
                try seed(writes, to: store)
            }
            let load = Date().timeIntervalSince(started)
            func time(_ label: String, _ text: String, filter: TranscriptFilter = TranscriptFilter(limit: 50),
                      before: SessionID? = nil) throws {
                let query = SearchQuery(text)!
                var samples: [Double] = []
                var page: SearchPage?
                for _ in 0..<20 {
                    let t = Date()
                    page = try store.search(TranscriptSearch(query: query, filter: filter, before: before))
                    samples.append(Date().timeIntervalSince(t) * 1000)
                }
                samples.sort()
                print(String(format: "[%@] %@ %@: p50 %.2f ms, max %.2f ms, %d hits, total %d%@", name, label, text,
                             samples[10], samples[19], page?.hits.count ?? 0, page?.total ?? 0,
                             page?.totalIsExact == true ? "" : "+"))
            }
            print(String(format: "[%@] loaded 10,000 chats / 60,000 events in %.1f s", name, load))
            try time("rare word", "zanzibar")
            try time("common word", "invoice")
            try time("two words", "invoice printer")
            try time("prefix", "brul*")
            try time("phrase", "\"creme brulee\"")
            try time("page 20", "invoice", before: 9_000)
            try time("one contact", "invoice", filter: TranscriptFilter(contactID: "c7", limit: 50))
            var listing: [Double] = []
            for _ in 0..<20 {
                let t = Date()
                _ = try store.sessions(matching: TranscriptFilter(organizationID: "acme", limit: 50, offset: 5_000))
                listing.append(Date().timeIntervalSince(t) * 1000)
            }
            listing.sort()
            print(String(format: "[%@] listing, organization, offset 5,000: p50 %.2f ms", name, listing[10]))
        }
    }
}
