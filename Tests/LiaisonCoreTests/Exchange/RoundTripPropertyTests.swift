import Foundation
import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Testing

/// Random directories survive CSV and JSON round trips, and a second import adds nothing.
/// The seed is printed; `LIAISON_SEED=<seed> swift test --filter RoundTripPropertyTests` replays it.
@Suite struct RoundTripPropertyTests {
    static let header = "country,agency,agency_kind,unit,given_name,family_name,native_name,position,languages,timezone,phone,mobile,email,secure_channel,is_24x7,crime_areas,functions"

    static func randomCSV(rows: Int, using generator: inout SeededGenerator) -> String {
        let countries = [("MD", "373", "Europe/Chisinau"), ("GR", "30", "Europe/Athens"), ("VN", "84", "Asia/Ho_Chi_Minh"), ("EG", "20", "Africa/Cairo"), ("ES", "34", "Europe/Madrid")]
        let agencies = [("National Police", "police"), ("Border Police", "border"), ("Labour Inspectorate", "labour-inspectorate"), ("Prosecutor, \"Organised Crime\"", "prosecution")]
        let given = ["Ion", "José", "Łukasz", "Mette", "Văn Hùng", "Νίκος", "Иван", "أحمد", ""]
        let family = ["Popescu", "Muñoz", "Wróbel", "Ørsted", "Đặng", "Παππάς", "Иванов", "حسن", "O'Brien"]
        let areas = CrimeArea.allCases.map(\.rawValue)
        let functions = FocalFunction.allCases.map(\.rawValue)
        var lines = [header]
        for index in 0..<rows {
            let country = countries.randomElement(using: &generator)!  // safe: non-empty literal
            let agency = agencies.randomElement(using: &generator)!  // safe: non-empty literal
            let isAgencyRow = Int.random(in: 0..<5, using: &generator) == 0
            let unit = Bool.random(using: &generator) ? "Unit \(Int.random(in: 1...3, using: &generator))" : ""
            let givenName = isAgencyRow ? "" : given.randomElement(using: &generator)!  // safe: non-empty literal
            let familyName = isAgencyRow ? "" : "\(family.randomElement(using: &generator)!)\(index)"  // safe: non-empty literal
            let phone = Bool.random(using: &generator) ? "+\(country.1) \(Int.random(in: 100_000_000...999_999_999, using: &generator))" : ""
            let email = Bool.random(using: &generator) ? "c\(index)@\(country.0.lowercased()).example" : ""
            let chosenAreas = areas.shuffled(using: &generator).prefix(Int.random(in: 0...2, using: &generator))
            let chosenFunctions = chosenAreas.isEmpty && Bool.random(using: &generator) ? [] : Array(functions.shuffled(using: &generator).prefix(Int.random(in: 1...2, using: &generator)))
            let cells = [
                country.0, agency.0, agency.1, unit, givenName, familyName, "", isAgencyRow ? "" : "Officer", isAgencyRow ? "" : "en;ro",
                isAgencyRow ? "" : country.2, phone, "", email, "", Bool.random(using: &generator) ? "yes" : "no",
                chosenAreas.joined(separator: ";"), chosenFunctions.joined(separator: ";"),
            ]
            lines.append(cells.map { $0.contains(",") || $0.contains("\"") ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func randomDirectoriesRoundTrip() throws {
        var generator = SeededGenerator(name: "RoundTripPropertyTests")
        for _ in 0..<8 {
            let csv = Self.randomCSV(rows: 40, using: &generator)
            let source = try Fixtures.emptyNode()
            _ = try source.importCSV(csv, fileName: "random.csv")
            let again = try source.importCSV(csv, fileName: "random.csv")
            #expect(again.agenciesCreated + again.contactsCreated + again.channelsCreated + again.designationsCreated == 0)

            let exportedCSV = try source.export(.csv)
            let viaCSV = try Fixtures.emptyNode()
            _ = try viaCSV.importCSV(String(decoding: exportedCSV, as: UTF8.self), fileName: "export.csv")
            #expect(try viaCSV.export(.csv) == exportedCSV)

            let exportedJSON = try source.export(.json)
            let viaJSON = try Fixtures.emptyNode()
            _ = try viaJSON.importJSON(exportedJSON, fileName: "export.json")
            #expect(try viaJSON.export(.json) == exportedJSON)
            #expect(try viaJSON.read { db in try LogStore.verifyState(in: db) }.records > 0)
        }
    }
}
