import Foundation
import LiaisonCore
import Testing

/// Opening hours as directories write them, and whether an office is open at a given moment.
@Suite struct OpeningHoursTests {
    /// A moment given as local time in `zone`.
    func at(_ text: String, _ zone: String) throws -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = TimeZone(identifier: zone)
        return try #require(formatter.date(from: text))
    }

    @Test func weekdayHoursInTheirOwnZone() throws {
        let hours = try #require(OpeningHours("Mo-Fr 08:00-17:00 Europe/Chisinau"))
        #expect(hours.timeZone?.identifier == "Europe/Chisinau")
        // 2026-12-01 is a Tuesday.
        #expect(hours.isOpen(at: try at("2026-12-01 08:00", "Europe/Chisinau"), zone: nil) == true)
        #expect(hours.isOpen(at: try at("2026-12-01 16:59", "Europe/Chisinau"), zone: nil) == true)
        #expect(hours.isOpen(at: try at("2026-12-01 17:00", "Europe/Chisinau"), zone: nil) == false)
        #expect(hours.isOpen(at: try at("2026-12-01 07:59", "Europe/Chisinau"), zone: nil) == false)
        #expect(hours.isOpen(at: try at("2026-12-05 10:00", "Europe/Chisinau"), zone: nil) == false, "a Saturday")
        // The hours' own zone wins over the one given: 07:30 in London is 09:30 in Chisinau.
        #expect(hours.isOpen(at: try at("2026-12-01 07:30", "Europe/London"), zone: TimeZone(identifier: "Europe/London")) == true)
    }

    @Test func rulesBreaksNightsAndDaysOff() throws {
        let hours = try #require(OpeningHours("Mo-Fr 08:00-12:00,13:00-17:00; Sa 09:00-13:00; Su off"))
        let zone = TimeZone(identifier: "Asia/Bangkok")
        #expect(hours.isOpen(at: try at("2026-12-01 12:30", "Asia/Bangkok"), zone: zone) == false, "lunch")
        #expect(hours.isOpen(at: try at("2026-12-01 13:30", "Asia/Bangkok"), zone: zone) == true)
        #expect(hours.isOpen(at: try at("2026-12-05 10:00", "Asia/Bangkok"), zone: zone) == true)
        #expect(hours.isOpen(at: try at("2026-12-06 10:00", "Asia/Bangkok"), zone: zone) == false)
        // Without a zone in the text or given, nobody can say.
        #expect(hours.isOpen(at: Date(), zone: nil) == nil)

        let night = try #require(OpeningHours("Fr-Sa 22:00-06:00 UTC"))
        #expect(night.isOpen(at: try at("2026-12-05 05:00", "UTC"), zone: nil) == true, "Friday's night runs into Saturday")
        #expect(night.isOpen(at: try at("2026-12-06 05:00", "UTC"), zone: nil) == true, "Saturday's night runs into Sunday")
        #expect(night.isOpen(at: try at("2026-12-07 05:00", "UTC"), zone: nil) == false)
        #expect(night.isOpen(at: try at("2026-12-04 21:59", "UTC"), zone: nil) == false)

        let always = try #require(OpeningHours("24/7"))
        #expect(always.isOpen(at: Date(), zone: TimeZone(identifier: "UTC")) == true)
        let wrapping = try #require(OpeningHours("Sa-Mo 10:00-24:00 UTC"))
        #expect(wrapping.isOpen(at: try at("2026-11-30 23:30", "UTC"), zone: nil) == true, "a Monday")
        #expect(wrapping.isOpen(at: try at("2026-12-01 23:30", "UTC"), zone: nil) == false, "a Tuesday")
    }

    @Test(arguments: [
        "", "by appointment", "Mo-Fr 8-17", "Mo-Fr 08:00-17:00 Mars/Olympus", "Xx 08:00-17:00", "Mo-Fr 08:00-08:00", "Mo 25:00-26:00",
        "Mo-Fr 08:00-17:00 extra words", "Mo-Fr 08:60-17:00",
    ])
    func hoursInAnotherFormStayText(_ text: String) {
        #expect(OpeningHours(text) == nil)
    }
}
