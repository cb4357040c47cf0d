import XCTest
final class ChatStorageTestsPlaceholder: XCTestCase {}
