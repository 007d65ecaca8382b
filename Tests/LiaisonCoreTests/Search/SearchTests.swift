import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

@Suite struct SearchTests {
    static let directory: Result<Directory, LiaisonError> = Result { () throws(LiaisonError) in
        let directory = try Directory.inMemory()
        try directory.write { tx in
            let police = try tx.save(Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD"))
            let border = try tx.save(Agency(name: "Border Police of Moldova", kind: .border, country: "MD"))
            let greek = try tx.save(Agency(name: "Hellenic Police", kind: .police, country: "GR"))
            let spain = try tx.save(Agency(name: "Policía Nacional", kind: .police, country: "ES"))
            let vietnam = try tx.save(Agency(name: "Anti-Trafficking Department", kind: .police, country: "VN"))
            let egypt = try tx.save(Agency(name: "Public Prosecution", kind: .prosecution, country: "EG"))
            let ivanov = try tx.save(Person(agencyID: police.id, nativeName: "Иван Иванов", position: "Inspector", languages: ["ro", "ru"]))
            try tx.save(Channel(personID: ivanov.id, kind: .phone, value: "+37322000101", is24x7: true))
            try tx.save(Designation(personID: ivanov.id, crimeArea: .traffickingInPersons, function: .contact24x7))
            try tx.save(Person(agencyID: border.id, givenName: "Ivan", familyName: "Ivanovici", position: "Officer"))
            try tx.save(Person(agencyID: police.id, givenName: "Maria", familyName: "Rusu", position: "Analyst, Ivanov case team"))
            try tx.save(Person(agencyID: greek.id, nativeName: "Γιώργος Παπαδόπουλος", position: "Liaison officer", languages: ["el", "en"]))
            try tx.save(Person(agencyID: spain.id, givenName: "José", familyName: "Muñoz", position: "Inspector"))
            try tx.save(Person(agencyID: vietnam.id, givenName: "Văn Hùng", familyName: "Đặng", position: "Deputy head"))
            try tx.save(Person(agencyID: egypt.id, nativeName: "أحمد حسن", position: "Prosecutor"))
            let ana = try tx.save(Person(agencyID: border.id, givenName: "Ana", familyName: "Roles", languages: ["ro"]))
            try tx.save(Designation(personID: ana.id, crimeArea: .traffickingInPersons, function: .contact24x7))
            try tx.save(Designation(personID: ana.id, crimeArea: .extradition, function: .policy))
            let ion = try tx.save(Person(agencyID: border.id, givenName: "Ion", familyName: "Everywhere", languages: ["tr"]))
            try tx.save(Designation(personID: ion.id, crimeArea: nil, function: .nationalRapporteur))
            try tx.save(Person(agencyID: border.id, nativeName: "Андрей Жуков", position: "Analyst"))
            try tx.save(Person(agencyID: border.id, nativeName: "Игорь Ковальчук"))
            try tx.save(Person(agencyID: border.id, givenName: "Milan", familyName: "Đorđević"))
            try tx.save(Person(agencyID: greek.id, givenName: "Sean", familyName: "O'Brien"))
            try tx.save(Person(agencyID: greek.id, givenName: "Hans", familyName: "Müller"))
            try tx.save(Person(agencyID: egypt.id, nativeName: "خالد المنصوري"))
            // Two whole-name matches for "ion popa", the longer name stored first, so that rank and
            // storage order differ.
            try tx.save(Person(agencyID: greek.id, givenName: "Ion", familyName: "Popa Marinescu Dragomir"))
            try tx.save(Person(agencyID: greek.id, givenName: "Ion", familyName: "Popa"))
            try tx.save(Person(agencyID: greek.id, givenName: "Ionel", familyName: "Popa"))
            try tx.save(Person(agencyID: greek.id, givenName: "Elena", familyName: "Stan", position: "Deputy to Ion Popa"))
        }
        return directory
    }

    func search(_ query: SearchQuery) throws -> [SearchHit] { try Self.directory.get().search(query) }
    func names(_ text: String) throws -> [String] { try search(SearchQuery(text)).map(\.name) }

    @Test func latinQueryFindsCyrillicGreekAndArabicNames() throws {
        #expect(try names("ivanov").first == "Иван Иванов")
        #expect(try names("papadopoulos") == ["Γιώργος Παπαδόπουλος"])
        #expect(try names("ahmd") == ["أحمد حسن"])
    }

    @Test func accentsCaseAndScriptDoNotMatter() throws {
        #expect(try names("jose munoz") == ["José Muñoz"])
        #expect(try names("JOSÉ MUÑOZ") == ["José Muñoz"])
        #expect(try names("dang van") == ["Văn Hùng Đặng"])
        #expect(try names("Иванов").first == "Иван Иванов")
        // A soft sign transliterates with an apostrophe, "igor'", in the name and in the query alike.
        #expect(try names("Игорь") == ["Игорь Ковальчук"])
        #expect(try names("igor kovalchuk") == ["Игорь Ковальчук"])
        #expect(try names("policia nacional").first == "Policía Nacional")
    }

    @Test func typeAheadPrefixesFindAgencies() throws {
        let hits = try search(SearchQuery("mold"))
        #expect(hits.contains { $0.name == "Border Police of Moldova" && $0.entity == .agency })
        #expect(try names("cct").contains("Centre for Combating Trafficking in Persons"))
    }

    @Test func exactNameRanksAbovePrefixAboveOtherFields() throws {
        let hits = try search(SearchQuery("ivanov"))
        #expect(hits.map(\.match) == hits.map(\.match).sorted())
        #expect(hits.first?.name == "Иван Иванов" && hits.first?.match == .name)
        #expect(hits.contains { $0.name == "Ivan Ivanovici" && $0.match == .namePrefix })
        #expect(hits.contains { $0.name == "Maria Rusu" && $0.match == .other })
        #expect(hits.firstIndex { $0.name == "Ivan Ivanovici" }! < hits.firstIndex { $0.name == "Maria Rusu" }!)
    }

    @Test func aQueryOfSeveralWordsIsRankedTheSameWhateverItsNumberOfMatches() throws {
        // Three rows match: few enough to be ranked from one query.
        let hits = try search(SearchQuery("ivan ivanov"))
        #expect(hits.map(\.name) == ["Иван Иванов", "Ivan Ivanovici", "Maria Rusu"])
        #expect(hits.map(\.match) == [.name, .namePrefix, .other])
        // With a lower limit there are more matches than it, and the tiers rank them.
        #expect(try search(SearchQuery("ivan ivanov", limit: 2)) == Array(hits.prefix(2)))
        #expect(try search(SearchQuery("ivan ivanov", limit: 1)) == Array(hits.prefix(1)))
    }

    @Test func wholeNameMatchesAreRankedAlikeOnBothPaths() throws {
        let hits = try search(SearchQuery("ion popa"))
        #expect(hits.map(\.name) == ["Ion Popa", "Ion Popa Marinescu Dragomir", "Ionel Popa", "Elena Stan"])
        #expect(hits.map(\.match) == [.name, .name, .namePrefix, .other])
        for limit in 1...3 {
            #expect(try search(SearchQuery("ion popa", limit: limit)) == Array(hits.prefix(limit)))
        }
    }

    @Test func filtersNarrowResults() throws {
        #expect(try search(SearchQuery("inspector", country: "ES")).map(\.name) == ["José Muñoz"])
        #expect(try search(SearchQuery("ivan", only24x7: true)).map(\.name) == ["Иван Иванов"])
        #expect(Set(try search(SearchQuery("", crimeArea: .traffickingInPersons, function: .contact24x7)).map(\.name)) == ["Иван Иванов", "Ana Roles"])
        #expect(try search(SearchQuery("", languages: ["el"])).map(\.name) == ["Γιώργος Παπαδόπουλος"])
        #expect(try search(SearchQuery("police", kind: .border)).map(\.name).contains("Ivan Ivanovici"))
        #expect(try search(SearchQuery("prosecutor", country: "MD")).isEmpty)
    }

    @Test func punctuationInQueriesIsHarmless() throws {
        // Quotes, stars, brackets and FTS5 operators are neither syntax nor an error: a query means
        // its words, whatever stands around them.
        for (query, words) in [
            ("\"", ""), ("*", ""), ("--", ""), ("ivanov\"", "ivanov"), ("\"ivan ivanov\"", "ivan ivanov"), ("ivanov\" OR x", "ivanov or x"),
            ("a AND (", "a and"), ("NEAR(", "near"),
        ] {
            #expect(try names(query) == names(words), "\(query)")
        }
        #expect(try names("\"").isEmpty && names("*").isEmpty && names("--").isEmpty)
        #expect(try names("ivanov\"") == ["Иван Иванов", "Ivan Ivanovici", "Maria Rusu"])
        // OR and AND are words to find, not operators: as an operator, OR would have found Ivanov.
        #expect(try names("ivanov\" OR x").isEmpty)
        #expect(try names("a AND (") == ["Андрей Жуков"])
        #expect(try names("NEAR(").isEmpty)
    }

    @Test func crimeAreaAndFunctionMustBelongToTheSameRole() throws {
        #expect(try search(SearchQuery("", crimeArea: .traffickingInPersons, function: .contact24x7)).map(\.name).contains("Ana Roles"))
        #expect(!(try search(SearchQuery("", crimeArea: .extradition, function: .contact24x7)).map(\.name).contains("Ana Roles")))
        #expect(!(try search(SearchQuery("", crimeArea: .traffickingInPersons, function: .policy)).map(\.name).contains("Ana Roles")))
    }

    @Test func rolesForAllCrimeAreasAnswerAnyCrimeArea() throws {
        #expect(try search(SearchQuery("", crimeArea: .forcedLabour, function: .nationalRapporteur)).map(\.name) == ["Ion Everywhere"])
        #expect(try search(SearchQuery("", crimeArea: .cybercrime)).map(\.name).contains("Ion Everywhere"))
    }

    @Test func severalLanguagesMeanAnyOfThem() throws {
        let names = try search(SearchQuery("", languages: ["ro", "tr"])).map(\.name)
        #expect(names.contains("Ana Roles") && names.contains("Ion Everywhere") && names.contains("Иван Иванов"))
        #expect(!names.contains("Γιώργος Παπαδόπουλος"))
    }

    @Test func commonSpellingsOfTransliteratedNamesAllMatch() throws {
        #expect(try names("zhukov") == ["Андрей Жуков"])
        #expect(try names("zukov") == ["Андрей Жуков"])
        #expect(try names("djordjevic") == ["Milan Đorđević"])
        #expect(try names("dordevic") == ["Milan Đorđević"])
        #expect(try names("obrien") == ["Sean O'Brien"])
        #expect(try names("o'brien") == ["Sean O'Brien"])
        #expect(try names("mueller") == ["Hans Müller"])
        #expect(try names("muller") == ["Hans Müller"])
        #expect(try names("منصوري") == ["خالد المنصوري"])
    }

    @Test func unknownFilterValuesAreErrors() throws {
        let country = #expect(throws: LiaisonError.self) { try search(SearchQuery("x", country: "XX")) }
        #expect(country?.code == .invalidValue && country?.field == "country" && country?.value == "XX")
        #expect(country?.message == "unknown country \"XX\"")
        let language = #expect(throws: LiaisonError.self) { try search(SearchQuery("x", languages: ["klingon"])) }
        #expect(language?.code == .invalidValue && language?.field == "language" && language?.value == "klingon")
        #expect(language?.message.hasPrefix("not a language code such as en, ro or pt-BR (BCP 47)") == true)
    }
}
