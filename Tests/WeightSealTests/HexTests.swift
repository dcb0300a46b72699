import Testing
import WeightSealTestSupport
@testable import WeightSeal
@Test func hexRoundTrip() { #expect([UInt8](hexString: "00ff10")! == [0, 255, 16]); #expect([UInt8]([0xab, 0x01]).hexString == "ab01") }
