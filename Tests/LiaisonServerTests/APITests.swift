import Foundation
import GRDB
import LiaisonCore
import LiaisonServer
@testable import LiaisonSync
import LiaisonTestSupport
import NIOHTTP1
import Testing

/// The JSON API on a live server: a local tool with a token, as curl would be one, and a peer with
/// its certificate; everyone else gets a problem, and docs/openapi.yaml says what is served.
@Suite struct APITests {
    typealias Node = MutualTLSTests.Node

    /// Runs curl against the server, on a thread of its own: the test's task must not hold one of
    /// the threads that the server's handlers run on while it waits.
    func curl(
        _ port: Int, _ path: String, token: String? = nil, scheme: String = "Bearer", method: String = "GET", reason: String? = nil
    ) async throws -> (status: Int, type: String, body: Data) {
        try await onOwnThread { try curlNow(port, path, token: token, scheme: scheme, method: method, reason: reason) }
    }

    /// Runs curl against the server: the status, the content type and the body.
    func curlNow(
        _ port: Int, _ path: String, token: String? = nil, scheme: String = "Bearer", method: String = "GET", reason: String? = nil
    ) throws -> (status: Int, type: String, body: Data) {
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bodyFile = folder.appending(path: "body")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var arguments = ["-sk", "-o", bodyFile.path, "-w", "%{http_code} %{content_type}", "--max-time", "120"]
        arguments += method == "HEAD" ? ["--head"] : ["-X", method]
        if let token { arguments += ["-H", "Authorization: \(scheme) \(token)"] }
        if let reason { arguments += ["-H", "Liaison-Reason: \(reason)"] }
        process.arguments = arguments + ["https://127.0.0.1:\(port)\(path)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let written = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ", maxSplits: 1)
        return (Int(written.first ?? "") ?? 0, written.count > 1 ? String(written[1]) : "", (try? Data(contentsOf: bodyFile)) ?? Data())
    }

    func object(_ data: Data) throws -> [String: Any] { try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]) }

    @Test func toolsWithATokenAndPeersReadTheDirectoryAndOthersGetProblems() async throws {
        let server = try Node("Chisinau"), peer = try Node("Bucharest")
        defer { [server, peer].forEach { $0.remove() } }
        _ = try server.directory.addPeer(try peer.card())
        _ = try peer.directory.addPeer(try server.card())
        let (police, ion) = try server.directory.write { tx in
            let police = try tx.save(Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD"))
            let ion = try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu", languages: ["ro", "en"]))
            try tx.save(Channel(personID: ion.id, kind: .phone, value: "+37322000101", is24x7: true))
            try tx.save(Designation(personID: ion.id, crimeArea: .traffickingInPersons, function: .contact24x7))
            return (police, ion)
        }.value
        let token = try server.directory.createToken(name: "desk laptop").token
        let stale = try server.directory.createToken(name: "old script").token
        let revoked = try server.directory.createToken(name: "lost phone").token
        try server.directory.revokeToken(name: "lost phone")
        // A day after its last day, the old script's token no longer works.
        try await server.directory.database.write { db in try db.execute(sql: "UPDATE api_token SET expires_at = '2020-01-01' WHERE name = 'old script'") }

        try await MutualTLSTests().withServer(server, idleTimeout: .seconds(120)) { port in
            let found = try await self.curl(port, "/api/v1/search?q=mold&crime_area=trafficking-in-persons", token: token)
            #expect(found.status == 200 && found.type.hasPrefix("application/json"))
            let answer = try object(found.body)
            #expect((answer["countries"] as? [[String: Any]])?.first?["code"] as? String == "MD")
            let hits = try #require(answer["hits"] as? [[String: Any]])
            #expect(hits.map { $0["id"] as? String } == [ion.id.lowercasedString])
            #expect(hits.first?["phone"] as? String == "+37322000101" && hits.first?["is24x7"] as? Bool == true)

            let card = try await curl(port, "/api/v1/contacts/\(ion.id.shortID)", token: token)
            #expect(card.status == 200)
            #expect((try object(card.body)["person"] as? [String: Any])?["family_name"] as? String == "Popescu")
            #expect(try await curl(port, "/api/v1/agencies/CCTP", token: token).status == 200)
            // A name with a space, escaped in the path, is read as the name.
            _ = try server.directory.write { tx in try tx.save(Agency(name: "Border Police", kind: .border, country: "MD")) }
            #expect(try await curl(port, "/api/v1/agencies/Border%20Police", token: token).status == 200)
            #expect(try await curl(port, "/api/v1/countries/MD", token: token).status == 200)
            // The scheme's name is not case-sensitive.
            #expect(try await curl(port, "/api/v1/countries/MD", token: token, scheme: "bearer").status == 200)
            // HEAD answers as GET without the body; another method gets 405 and what is allowed;
            // a path that is no route gets a problem too.
            let head = try await curl(port, "/api/v1/countries/MD", token: token, method: "HEAD")
            #expect(head.status == 200 && head.type.hasPrefix("application/json"), "\(head)")
            let posted = try await curl(port, "/api/v1/search?q=x", token: token, method: "POST")
            #expect(posted.status == 405 && posted.type.hasPrefix("application/problem+json"), "\(posted)")
            let nowhere = try await curl(port, "/no/such/route", token: token)
            #expect(nowhere.status == 404 && nowhere.type.hasPrefix("application/problem+json"), "\(nowhere)")
            let vcard = try await curl(port, "/api/v1/contacts/\(ion.id.lowercasedString)/vcard", token: token)
            #expect(vcard.status == 200 && vcard.type.hasPrefix("text/vcard"))
            #expect(String(decoding: vcard.body, as: UTF8.self).hasPrefix("BEGIN:VCARD\r\nVERSION:4.0\r\n"))

            // Problems: no token, an expired or revoked one, a bad filter, a record that is not there.
            for (path, sent, status, code) in [
                ("/api/v1/search?q=popescu", nil, 401, "unauthorized"), ("/api/v1/search?q=popescu", stale, 401, "unauthorized"),
                ("/api/v1/search?q=popescu", revoked, 401, "unauthorized"), ("/api/v1/search?kind=spaceship", token, 400, "invalid-value"),
                ("/api/v1/search?q=popescu&cuntry=MD", token, 400, "invalid-value"), ("/api/v1/search?q=popescu&q=ivanov", token, 400, "invalid-value"),
                ("/api/v1/search?q=pop%zzescu", token, 400, "invalid-value"), ("/api/v1/search?q=popescu%2", token, 400, "invalid-value"),
                ("/api/v1/search?q=popescu%FF", token, 400, "invalid-value"), ("/api/v1/search?q=popescu%00", token, 400, "invalid-value"),
                ("/api/v1/search?q=popescu&limit=%2B5", token, 400, "invalid-value"),
                ("/api/v1/contacts/0000ffff", token, 404, "not-found"), ("/api/v1/nowhere", token, 404, "not-found"),
            ] as [(String, String?, Int, String)] {
                let refused = try await curl(port, path, token: sent)
                #expect(refused.status == status, "\(path)")
                #expect(refused.type.hasPrefix("application/problem+json"), "\(path): \(refused.type)")
                let problem = try object(refused.body)
                #expect(problem["code"] as? String == code && problem["status"] as? Int == status, "\(path): \(problem)")
                #expect(!(String(decoding: refused.body, as: UTF8.self).contains("Popescu")))
            }

            // A peer needs no token: its roster certificate is enough.
            let link = try HTTPSSyncTransport(peer: try peer.peer(server, port: port), tls: peer.tls, timeout: .seconds(120))
            let viaPeer = try await link.request(.GET, "/api/v1/agencies/\(police.id.lowercasedString)")
            #expect((try object(viaPeer)["agency"] as? [String: Any])?["acronym"] as? String == "CCTP")
        }
    }

    @Test func everyDocumentedRouteIsServedWithItsRequiredKeys() async throws {
        let server = try Node("Chisinau")
        defer { server.remove() }
        let ion = try server.directory.write { tx in
            let police = try tx.save(Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD"))
            return try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu"))
        }.value
        let note = try server.directory.write { tx in
            try tx.save(Note(
                title: "Popescu route", language: "en", body: "", status: .published, reliability: .b, credibility: .two, marking: .green,
                distribution: .federation))
        }.value
        let token = try server.directory.createToken(name: "contract").token
        let document = try String(contentsOf: URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../docs/openapi.yaml"), encoding: .utf8)
        let paths = document.split(separator: "\n").filter { $0.hasPrefix("  /api/") }.map { String($0.dropFirst(2).dropLast()) }
        #expect(paths.count == 7)
        @Sendable func required(_ schema: String) -> [String] {
            guard let range = document.range(of: "\n    \(schema):\n      type: object\n      required: [") else { return [] }
            let rest = document[range.upperBound...]
            return rest[..<(rest.firstIndex(of: "]") ?? rest.endIndex)].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let schemas = [
            "/api/v1/search": "SearchAnswer", "/api/v1/countries/{code}": "CountryPage", "/api/v1/agencies/{id}": "AgencyCard",
            "/api/v1/contacts/{id}": "ContactCard", "/api/v1/notes/{id}": "NotePage",
        ]
        try await MutualTLSTests().withServer(server, idleTimeout: .seconds(120)) { port in
            var read: [String] = []
            for path in paths {
                let id = path.hasPrefix("/api/v1/agencies/") ? "CCTP" : path.hasPrefix("/api/v1/notes/") ? note.id.lowercasedString : ion.id.lowercasedString
                let concrete = path.replacingOccurrences(of: "{code}", with: "MD").replacingOccurrences(of: "{id}", with: id)
                    + (path.hasSuffix("search") || path.hasSuffix("notes") ? "?q=popescu" : "")
                let answer = try await curl(port, concrete, token: token, reason: "case 2026/114")
                #expect(answer.status == 200, "\(path) is documented but answers \(answer.status)")
                read.append(String(concrete.prefix { $0 != "?" }))
                if path.hasSuffix("notes") {
                    let found = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [[String: Any]])
                    #expect(found.map { $0["id"] as? String } == [note.id.lowercasedString])
                    for key in required("NoteSummary") { #expect(found.first?.keys.contains(key) == true, "a note summary lacks \(key)") }
                }
                guard let schema = schemas[path] else { continue }
                let keys = Set(try object(answer.body).keys)
                #expect(!required(schema).isEmpty)
                for key in required(schema) { #expect(keys.contains(key), "\(path) lacks \(key)") }
            }
            let problem = try await curl(port, "/api/v1/search?q=popescu")
            for key in required("Problem") { #expect(try object(problem.body).keys.contains(key), "a problem lacks \(key)") }
            // Every documented read is in the audit log: who, which path, why, and the note by id.
            let entries = try server.directory.auditEntries().filter { $0.action == .apiRead }
            #expect(entries.compactMap { $0.detail["path"] } == read)
            #expect(entries.allSatisfy { $0.actor == "token:contract" && $0.reason == "case 2026/114" })
            #expect(entries.first { $0.detail["path"] == "/api/v1/notes/\(note.id.lowercasedString)" }?.records == [note.id.lowercasedString])
        }
    }

    @Test func notesReachEachCallerAsFarAsItMayReadThem() async throws {
        let server = try Node("Chisinau"), entitled = try Node("Bucharest"), other = try Node("Athens")
        defer { [server, entitled, other].forEach { $0.remove() } }
        for peer in [entitled, other] {
            _ = try server.directory.addPeer(try peer.card())
            _ = try peer.directory.addPeer(try server.card())
        }
        let police = try server.directory.write { tx in try tx.save(Agency(name: "Border Police", kind: .border, country: "MD")) }.value
        func note(_ title: String, _ distribution: Distribution, status: NoteStatus = .published) throws -> Note {
            try server.directory.write { tx in
                try tx.save(Note(
                    title: title, language: "en", body: "Seen at Leușeni", countries: ["MD"], agencyIDs: [police.id], status: status,
                    reliability: .b, credibility: .two, marking: .amber, distribution: distribution))
            }.value
        }
        let open = try note("Open route", .federation)
        let named = try note("Named route", .nodes([entitled.directory.node.id]))
        let draft = try note("Draft route", .nodeOnly, status: .draft)
        let everything = try server.directory.createToken(name: "desk").token
        let directoryOnly = try server.directory.createToken(name: "kiosk", directoryOnly: true).token
        #expect(try server.directory.tokens().first { $0.name == "kiosk" }?.directoryOnly == true)

        try await MutualTLSTests().withServer(server, idleTimeout: .seconds(120)) { port in
            @Sendable func ids(_ data: Data) throws -> Set<String> {
                Set(try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]]).compactMap { $0["id"] as? String })
            }
            let local = try await curl(port, "/api/v1/notes?q=route", token: everything)
            #expect(local.status == 200)
            #expect(try ids(local.body) == Set([open, named, draft].map(\.id.lowercasedString)))
            let page = try object(try await curl(port, "/api/v1/countries/MD", token: everything).body)
            #expect((page["notes"] as? [Any])?.count == 3)

            let kiosk = try await curl(port, "/api/v1/notes?q=route", token: directoryOnly)
            let refusal = try object(kiosk.body)
            #expect(kiosk.status == 403 && refusal["code"] as? String == "forbidden")
            #expect(try await curl(port, "/api/v1/notes/\(open.id.shortID)", token: directoryOnly).status == 403)
            let kioskCard = try object(try await curl(port, "/api/v1/agencies/\(police.id.shortID)", token: directoryOnly).body)
            #expect((kioskCard["notes"] as? [Any])?.isEmpty == true)
            #expect(!(String(decoding: try await curl(port, "/api/v1/countries/MD", token: directoryOnly).body, as: UTF8.self).contains("route")))

            for (peer, expected) in [(entitled, [open, named]), (other, [open])] {
                let link = try HTTPSSyncTransport(peer: try peer.peer(server, port: port), tls: peer.tls, timeout: .seconds(120))
                #expect(try ids(try await link.request(.GET, "/api/v1/notes?q=route")) == Set(expected.map(\.id.lowercasedString)))
                let card = try object(try await link.request(.GET, "/api/v1/agencies/\(police.id.lowercasedString)"))
                #expect(Set((card["notes"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }) == Set(expected.map(\.id.lowercasedString)))
                let shown = try object(try await link.request(.GET, "/api/v1/notes/\(open.id.lowercasedString)"))
                #expect((shown["note"] as? [String: Any])?["title"] as? String == "Open route")
                #expect((shown["evaluations"] as? [Any])?.isEmpty == true)
            }
            let link = try HTTPSSyncTransport(peer: try other.peer(server, port: port), tls: other.tls, timeout: .seconds(120))
            await #expect(throws: LiaisonError.self) { try await link.request(.GET, "/api/v1/notes/\(named.id.lowercasedString)") }
            await #expect(throws: LiaisonError.self) { try await link.request(.GET, "/api/v1/notes/\(draft.id.lowercasedString)") }
        }
    }
}
