import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

/// The ASCII shortcuts taken on bulk imports give the same results as the general paths.
@Suite struct TextFastPathTests {
    @Test func randomIDsAreVersion4AndDistinct() {
        let ids = (0..<2_000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.uuid.6 >> 4 == 4, "version nibble")
            #expect(id.uuid.8 >> 6 == 0b10, "RFC 4122 variant")
        }
    }

    @Test func lowercasedStringIsTheLowerCaseUUIDString() {
        for id in (0..<500).map({ _ in UUID() }) + [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))] {
            #expect(id.lowercasedString == id.uuidString.lowercased())
        }
    }

    @Test func asciiTokensMatchTheCharacterSplit() {
        var random = SeededGenerator(name: "asciiTokensMatchTheCharacterSplit")
        let alphabet = Array("abcXYZ019 -_.,;:'`\"/\\\t\r\n@+()")
        for _ in 0..<2_000 {
            let text = String((0..<Int.random(in: 0...24, using: &random)).map { _ in alphabet.randomElement(using: &random) ?? " " })
            let expected = SearchText.fold(text).split { !($0.isLetter || $0.isNumber) }.map(String.init)
            #expect(SearchText.tokens(text) == expected, "text: \(text.debugDescription)")
        }
    }

    @Test func trimmingKeepsInnerSpaceAndDropsOuter() {
        #expect("Ion Popescu".trimmed == "Ion Popescu")
        #expect("  Ion \t".trimmed == "Ion")
        #expect("\u{00A0}Ion\u{00A0}".trimmed == "Ion")
        #expect("Ion\n".trimmed == "Ion")
        #expect("   ".trimmed == "")
        #expect("Ion Popescu"[...].dropFirst(4).trimmed == "Popescu")
    }
}
