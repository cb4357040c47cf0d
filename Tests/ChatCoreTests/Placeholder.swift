import XCTest
final class ChatCoreTestsPlaceholder: XCTestCase {}
