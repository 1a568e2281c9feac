import RedoxFSFormat
import Testing

/// Which generation each slot of a wrapped header ring holds.
@Suite struct HeaderRingTests {
    @Test func expectedGenerationOfAWrappedRing() {
        // Not wrapped yet: slots past the newest may never have been written.
        #expect(HeaderRing.expectedGeneration(inSlot: 9, newest: 5) == nil)
        #expect(HeaderRing.expectedGeneration(inSlot: 0, newest: 254) == nil)
        // Wrapped: every slot holds the latest generation that maps to it.
        #expect(HeaderRing.expectedGeneration(inSlot: 255, newest: 255) == 255)
        #expect(HeaderRing.expectedGeneration(inSlot: 104, newest: 1640) == 1640)
        #expect(HeaderRing.expectedGeneration(inSlot: 103, newest: 1640) == 1639)
        #expect(HeaderRing.expectedGeneration(inSlot: 105, newest: 1640) == 1640 - 255)
        #expect(HeaderRing.expectedGeneration(inSlot: 12, newest: 1136) == 1036)
    }
}
