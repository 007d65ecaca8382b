import Foundation
@testable import LiaisonCore
@testable import LiaisonServer
import LiaisonTestSupport
import Testing

/// The API's search answer is written by hand: it must be the bytes Foundation's encoder writes.
@Suite struct SearchAnswerJSONTests {
    @Test func theHandWrittenAnswerIsTheEncodersByteForByte() throws {
        var random = SeededGenerator(name: "search answer JSON")
        // Quotes, backslashes, slashes, every control character, non-Latin scripts and emoji.
        let pieces = ["a", "Ion", "Popescu", "\"", "\\", "/", "Иванов", "张伟", "محمد", "🚓", " ", "é", "\u{7F}", "\u{2028}"]
            + (0..<32).map { String(UnicodeScalar(UInt8($0))) }
        func text() -> String { (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined() }
        func maybe() -> String? { Bool.random(using: &random) ? text() : nil }
        for round in 0..<300 {
            let hits = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                SearchHit(
                    entity: Bool.random(using: &random) ? .person : .agency, id: UUID(), name: text(), nativeName: maybe(), position: maybe(),
                    agency: maybe(), country: "MD", match: [.name, .namePrefix, .other].randomElement(using: &random)!, phone: maybe(),
                    email: maybe(), secureChannel: maybe(), is24x7: Bool.random(using: &random))
            }
            let countries = (0..<Int.random(in: 0...2, using: &random)).map { _ in NodeServer.SearchAnswer.CountryOffer(code: "MD", name: text()) }
            let answer = NodeServer.SearchAnswer(countries: countries, hits: hits)
            let expected = [UInt8](try JSONOutput.encode(answer, pretty: false))
            #expect(answer.json == expected, "round \(round), seed \(random.seed): \(String(decoding: answer.json, as: UTF8.self)) against \(String(decoding: expected, as: UTF8.self))")
            if answer.json != expected { break }
        }
    }
}
