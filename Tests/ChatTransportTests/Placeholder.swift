import XCTest
final class ChatTransportTestsPlaceholder: XCTestCase {}
