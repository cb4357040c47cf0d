import XCTest
final class ChatServiceTestsPlaceholder: XCTestCase {}
