import Foundation
@testable import LiaisonServer
import LiaisonTestSupport
import Testing

/// The QR code of a contact card, read back by a real decoder (zbarimg, from Debian's
/// zbar-tools) at every size the codes take: each must give back exactly the bytes it holds.
@Suite struct QRCodeTests {
    /// `code` as a binary PBM image, 4 pixels a module, with its 4-module quiet zone.
    static func pbm(_ code: QRCode) -> Data {
        let (quietZone, scale) = (4, 4)
        let pixels = (code.size + 2 * quietZone) * scale
        var image = Data("P4\n\(pixels) \(pixels)\n".utf8)
        for y in 0..<pixels {
            var row = [UInt8](repeating: 0, count: (pixels + 7) / 8)
            for x in 0..<pixels where code.isDark(x: x / scale - quietZone, y: y / scale - quietZone) {
                row[x / 8] |= 0x80 >> UInt8(x % 8)
            }
            image.append(contentsOf: row)
        }
        return image
    }

    /// What zbarimg reads in `code`.
    static func decoded(_ code: QRCode) async throws -> [UInt8] {
        let file = Fixtures.temporaryFolder().appendingPathExtension("pbm")
        try pbm(code).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try await onOwnThread {
            let process = Process()
            process.executableURL = URL(filePath: "/usr/bin/zbarimg")
            process.arguments = ["--raw", "-q", "--nodbus", "-Sbinary", file.path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let bytes = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Array(bytes)
        }
    }

    @Test func aContactCardWithCyrillicAndRomanianNamesReadsBack() async throws {
        let card = Array("""
            BEGIN:VCARD\r\nVERSION:4.0\r\nFN;ALTID=1;PREF=1:Ion Popescu\r\nFN;ALTID=1:Ион Попеску\r\nN:Popescu;Ion;;;\r\n\
            ORG:Centrul pentru Combaterea Traficului de Persoane\r\nTEL;VALUE=uri;TYPE=work:tel:+37322000101\r\n\
            EMAIL:ion.popescu@police.example\r\nLANG;PREF=1:ro\r\nEND:VCARD\r\n
            """.utf8)
        let code = try QRCode(card)
        #expect(try await Self.decoded(code) == card)
        let svg = code.svg(title: "Ion <Popescu> & \"Ион\"")
        #expect(svg.hasPrefix("<svg") && svg.contains("<title>Ion &lt;Popescu&gt; &amp; &quot;Ион&quot;</title>") && svg.firstMatch(of: #/<svg[^>]*width=/#) == nil)
    }

    /// Random bytes filling each size to its last byte and one past it, from a seed that
    /// `LIAISON_SEED` replays.
    @Test func everySizeHoldsWhatItShouldAndNoMore() async throws {
        let seed = ProcessInfo.processInfo.environment["LIAISON_SEED"].flatMap(UInt64.init) ?? .random(in: 0 ... .max >> 1)
        print("QR sizes: seed \(seed) (replay with LIAISON_SEED=\(seed))")
        var random = SeededGenerator(seed: seed)
        // The bytes versions 1, 2, 6, 7, 9, 10, 20, 27 and 40 hold at level M (ISO/IEC 18004, table 7).
        let capacities = [(1, 14), (2, 26), (6, 106), (7, 122), (9, 180), (10, 213), (20, 666), (27, 1125), (40, 2331)]
        for (version, capacity) in capacities {
            for length in [capacity, capacity + 1] where length <= 2331 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                let code = try QRCode(bytes)
                #expect(code.version == (length == capacity ? version : version + 1), "\(length) bytes")
                #expect(try await Self.decoded(code) == bytes, "\(length) bytes, seed \(seed)")
            }
        }
        let tooLong = #expect(throws: QRCode.EncodingError.self) { try QRCode([UInt8](repeating: 65, count: 2332)) }
        if case .tooLong(let bytes, let maximum) = tooLong { #expect(bytes == 2332 && maximum == 2331) }
    }
}
