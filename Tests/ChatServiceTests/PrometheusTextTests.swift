import XCTest
@testable import ChatService

final class PrometheusTextTests: XCTestCase {
    func testSamplesLabelsEscapingAndHistogramsInTheExpositionFormat() {
        var text = PrometheusText()
        text.single("chatd_queue_length", "gauge", "Chats waiting.", 3)
        text.labelled("chatd_refusals_total", "counter", "Refused.", label: "code",
                      ["rate_limited": 2, "a\"b\\c\nd": 1])
        var histogram = Histogram(bounds: [0.001, 0.01])
        for value in [0.0005, 0.002, 0.002, 5] { histogram.observe(value) }
        text.histogram("chatd_commit_seconds", "Commit time.", histogram)
        XCTAssertEqual(text.text, """
            # HELP chatd_queue_length Chats waiting.
            # TYPE chatd_queue_length gauge
            chatd_queue_length 3
            # HELP chatd_refusals_total Refused.
            # TYPE chatd_refusals_total counter
            chatd_refusals_total{code="a\\"b\\\\c\\nd"} 1
            chatd_refusals_total{code="rate_limited"} 2
            # HELP chatd_commit_seconds Commit time.
            # TYPE chatd_commit_seconds histogram
            chatd_commit_seconds_bucket{le="0.001"} 1
            chatd_commit_seconds_bucket{le="0.01"} 3
            chatd_commit_seconds_bucket{le="+Inf"} 4
            chatd_commit_seconds_sum 5.0045
            chatd_commit_seconds_count 4

            """)
    }
}
