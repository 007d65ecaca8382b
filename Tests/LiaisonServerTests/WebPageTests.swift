import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonServer
import LiaisonSync
import LiaisonTestSupport
import NIOCore
import Testing

/// The officers' web page on a live server, with curl as the browser: its cookie jar keeps the
/// session, as a browser would.
@Suite struct WebPageTests {
    typealias Node = MutualTLSTests.Node

    /// A browser: curl with a cookie jar of its own.
    final class Browser: Sendable {
        let port: Int
        let folder = Fixtures.temporaryFolder()
        var jar: URL { folder.appending(path: "cookies") }

        init(port: Int) throws {
            self.port = port
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(at: folder) }

        struct Answer {
            var status: Int
            var headers: String
            var body: String
            func header(_ name: String) -> String? {
                headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                    .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
            }
        }

        /// A GET, or a POST of `form` from this node's page (or from `origin`).
        func request(_ path: String, form: [String: String]? = nil, origin: String? = nil) async throws -> Answer {
            let port = port, jar = jar, folder = folder
            let answer: Answer = try await onOwnThread {
                let headersFile = folder.appending(path: "headers-\(UUID().uuidString)"), bodyFile = folder.appending(path: "body-\(UUID().uuidString)")
                defer { [headersFile, bodyFile].forEach { try? FileManager.default.removeItem(at: $0) } }
                var arguments = ["-sk", "-c", jar.path, "-b", jar.path, "-D", headersFile.path, "-o", bodyFile.path, "-w", "%{http_code}", "--max-time", "60"]
                if let form {
                    arguments += ["-H", "Origin: \(origin ?? "https://127.0.0.1:\(port)")"]
                    for (name, value) in form.sorted(by: { $0.key < $1.key }) { arguments += ["--data-urlencode", "\(name)=\(value)"] }
                }
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                process.arguments = arguments + ["https://127.0.0.1:\(port)\(path)"]
                let output = Pipe()
                process.standardOutput = output
                try process.run()
                process.waitUntilExit()
                let status = Int(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) ?? 0
                return Answer(
                    status: status, headers: (try? String(contentsOf: headersFile, encoding: .utf8)) ?? "",
                    body: (try? String(contentsOf: bodyFile, encoding: .utf8)) ?? "")
            }
            // A value a view left out shows in a template as "nil".
            #expect(!answer.body.contains(">nil<") && !answer.body.contains("\"nil\""), "\(path) shows a missing value: \(answer.body)")
            return answer
        }

        /// The token of the form on a page.
        static func formToken(_ page: Answer) throws -> String {
            let match = try #require(page.body.firstMatch(of: #/name="form_token" value="([0-9a-zA-Z_-]+)"/#))
            return String(match.1)
        }

        func signIn(_ name: String, _ password: String) async throws -> Answer {
            let form = try await request("/signin")
            return try await request("/signin", form: ["form_token": try Self.formToken(form), "name": name, "password": password])
        }
    }

    /// A node with a Moldovan police centre, a contact reachable 24/7 and an officer's account.
    static func node() throws -> (Node, ion: Person) {
        let node = try Node("Chisinau")
        let ion = try node.directory.write { tx in
            let police = try tx.save(Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD"))
            let ion = try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu", nativeName: "Ион Попеску", languages: ["ro", "ru"]))
            try tx.save(Channel(personID: ion.id, kind: .phone, value: "+37322000101", is24x7: true))
            try tx.save(Designation(personID: ion.id, crimeArea: .traffickingInPersons, function: .contact24x7))
            return ion
        }.value
        _ = try node.directory.addAccount(name: "ana", role: .editor, password: "correct horse battery")
        return (node, ion)
    }

    @Test func anOfficerSignsInFindsAContactAndTakesTheirCard() async throws {
        let (node, ion) = try Self.node()
        defer { node.remove() }
        try await MutualTLSTests().withServer(node) { port in
            let browser = try Browser(port: port)
            // Without a session, every page leads to the sign-in form, and back.
            let away = try await browser.request("/search?q=popescu")
            #expect(away.status == 303 && away.header("Location") == "/signin?back=%2Fsearch%3Fq%3Dpopescu")
            let wrong = try await browser.signIn("ana", "not the password")
            #expect(wrong.status == 401 && wrong.body.contains("The name or the password is wrong."))
            let signedIn = try await browser.signIn("ana", "correct horse battery")
            #expect(signedIn.status == 303 && signedIn.header("Location") == "/search")
            let cookie = try #require(signedIn.header("Set-Cookie"))
            #expect(cookie.hasPrefix("__Host-liaison=") && cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))

            // The search shows the number to call, the name as written and its Latin spelling.
            let found = try await browser.request("/search?q=popescu")
            #expect(found.status == 200 && found.body.contains("href=\"tel:+37322000101\"") && found.body.contains("Ион Попеску"))
            #expect(found.body.contains("<span class=\"latin\" lang=\"en\">Ion Popescu</span>"))
            let csp = try #require(found.header("Content-Security-Policy"))
            #expect(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"))
            #expect(found.header("Strict-Transport-Security") == "max-age=31536000")
            // The part the script refreshes as the officer types, and the filters as controls.
            let typed = try await browser.request("/search/results?q=pop&crime=trafficking-in-persons&only24x7=1")
            #expect(typed.status == 200 && typed.body.contains("/contacts/\(ion.id.lowercasedString)") && !typed.body.contains("<html"))
            #expect(try await browser.request("/search/results?q=pop&kind=navy").status == 400)
            // A filter typed wrong is named above the results, with the form as the officer left it.
            let unread = try await browser.request("/search?q=pop&speaks=english")
            #expect(unread.status == 400 && unread.body.contains("role=\"alert\">not a language code such as en, ro or pt-BR"), "\(unread.body)")
            #expect(unread.body.contains("id=\"speaks\" name=\"speaks\" value=\"english\"") && !unread.body.contains("Something went wrong"))
            let halfTyped = try await browser.request("/search/results?q=pop&country=ZZ")
            #expect(halfTyped.status == 400 && halfTyped.body.contains("class=\"problem\"") && !halfTyped.body.contains("<html"))

            let card = try await browser.request("/contacts/\(ion.id.lowercasedString)")
            #expect(card.status == 200 && card.body.contains("Romanian, Russian") && card.body.contains("tel:+37322000101"))
            let vCard = try await browser.request("/contacts/\(ion.id.lowercasedString)/vcard")
            #expect(vCard.status == 200 && vCard.header("Content-Type") == "text/vcard; charset=utf-8")
            #expect(vCard.body.hasPrefix("BEGIN:VCARD\r\n") && vCard.body.hasSuffix("END:VCARD\r\n"))
            let fields = vCard.body.split(separator: "\r\n")
            #expect(fields.contains("FN;ALTID=1;PREF=1:Ion Popescu") && fields.contains("FN;ALTID=1:Ион Попеску"))
            #expect(fields.contains { $0.hasPrefix("TEL;") && $0.hasSuffix(":tel:+37322000101") })
            let country = try await browser.request("/countries/md")
            #expect(country.status == 200 && country.body.contains("Reachable 24/7") && country.body.contains("Moldova"))
            let nobody = try await browser.request("/contacts/deadbeef")
            #expect(nobody.status == 404 && nobody.body.contains("Nothing here by that name."))
            #expect(try await browser.request("/contacts/nobody").status == 400)

            // Every page read is in the audit log, with the officer's name and the records shown.
            let reads = try node.directory.auditEntries().filter { $0.action == .webRead }
            #expect(reads.allSatisfy { $0.actor == "web:ana" })
            #expect(reads.filter { $0.records.contains(ion.id.lowercasedString) }.count >= 4)

            // Signing out ends the session.
            let signOut = try await browser.request("/signout", form: ["form_token": try Browser.formToken(found)])
            #expect(signOut.status == 303 && signOut.header("Location") == "/signin")
            #expect(try await browser.request("/search").status == 303)
        }
    }

    @Test func formsFromAnotherSiteOrWithoutTheirTokenAreRefused() async throws {
        let (node, _) = try Self.node()
        defer { node.remove() }
        try await MutualTLSTests().withServer(node) { port in
            let browser = try Browser(port: port)
            _ = try await browser.signIn("ana", "correct horse battery")
            let page = try await browser.request("/search")
            let token = try Browser.formToken(page)
            // Another site's form, even with the right token, and a form without it.
            #expect(try await browser.request("/signout", form: ["form_token": token], origin: "https://attacker.example").status == 403)
            #expect(try await browser.request("/signout", form: ["form_token": "forged"]).status == 403)
            // A sign-in form posted without the token its page set.
            let stranger = try Browser(port: port)
            #expect(try await stranger.request("/signin", form: ["form_token": "x", "name": "ana", "password": "correct horse battery"]).status == 403)
            // A sign-in form is small: a large one is refused before it is read, on a page with its headers.
            let flood = try await stranger.request("/signin", form: ["form_token": "x", "name": String(repeating: "a", count: 20_000)])
            #expect(flood.status == 413 && flood.header("Content-Security-Policy") != nil)
            // The session lived through all of it.
            #expect(try await browser.request("/search").status == 200)
        }
    }

    @Test func repeatedFailuresLockTheAccountUntilItIsReset() async throws {
        let (node, _) = try Self.node()
        defer { node.remove() }
        try await MutualTLSTests().withServer(node) { port in
            let browser = try Browser(port: port)
            for _ in 1..<AccountRules.failuresBeforeLock { #expect(try await browser.signIn("ana", "wrong guess!!").status == 401) }
            let locked = try await browser.signIn("ana", "wrong guess!!")
            #expect(locked.status == 429 && locked.body.contains("this account is locked on this network until"))
            // While locked, even the right password does not open it.
            #expect(try await browser.signIn("ana", "correct horse battery").status == 429)
            // A name without an account locks the same way, so the lock does not tell who exists.
            for _ in 1..<AccountRules.failuresBeforeLock { #expect(try await browser.signIn("nobody", "wrong guess!!").status == 401) }
            let unknown = try await browser.signIn("nobody", "wrong guess!!")
            #expect(unknown.status == 429 && unknown.body.contains("this account is locked on this network until"))
            _ = try node.directory.resetAccount("ana", password: "a new passphrase here")
            #expect(try await browser.signIn("ana", "a new passphrase here").status == 303)
        }
    }

    @Test func aLockKeepsANameOutOfTheNetworkItWasGuessedFromOnly() throws {
        let (node, _) = try Self.node()
        defer { node.remove() }
        let directory = node.directory
        let guesser = "198.51.100.7", office = "203.0.113.9", right = "correct horse battery"
        func ana(_ password: String, from network: String) throws -> LoginOutcome { try directory.logIn(name: "ana", password: password, from: network) }
        for _ in 1..<AccountRules.failuresBeforeLock { #expect(try ana("wrong guess!!", from: guesser) == .refused) }
        #expect(try ana("wrong guess!!", from: guesser).isLocked, "the fifth failure did not lock ana from the guesser's network")
        #expect(try ana(right, from: guesser).isLocked, "the right password opened a locked name from the guesser's network")
        #expect(try directory.accounts().first { $0.name == "ana" }?.lockedUntil?.hasSuffix("Z") == true)
        #expect(try ana(right, from: office).isOpened, "ana could not sign in from her own office while locked from another network")
        // Her success at the office leaves the guesser's lock as it was; a reset lifts it.
        #expect(try ana(right, from: guesser).isLocked, "a success from another network lifted the guesser's lock")
        _ = try directory.resetAccount("ana", password: "a new passphrase here")
        #expect(try directory.accounts().first { $0.name == "ana" }?.lockedUntil == nil)
        #expect(try ana("a new passphrase here", from: guesser).isOpened, "a reset did not lift the lock")
    }

    @Test func locksEndAndFailuresAreForgottenAfterFifteenQuietMinutes() throws {
        let clock = TestClock()
        let directory = try Directory.inMemory(clock: clock.now)
        _ = try directory.addAccount(name: "ana", role: .viewer, password: "correct horse battery")
        let network = "198.51.100.7"
        func fail(_ times: Int) throws -> [LoginOutcome] {
            try (0..<times).map { _ in try directory.logIn(name: "ana", password: "wrong guess!!", from: network) }
        }
        // Four failures, a quiet quarter of an hour, four more: no lock.
        #expect(try fail(4).allSatisfy { $0 == .refused })
        clock.advance(by: 15 * 60 + 1)
        #expect(try fail(4).allSatisfy { $0 == .refused })
        guard case .locked(let until) = try fail(1)[0] else {
            Issue.record("the fifth failure in a row did not lock")
            return
        }
        #expect(until == "2026-01-01T00:30:01.000Z")
        clock.advance(by: 15 * 60 - 1)
        #expect(try directory.logIn(name: "ana", password: "correct horse battery", from: network).isLocked, "the lock ended early")
        clock.advance(by: 1)
        #expect(try directory.logIn(name: "ana", password: "correct horse battery", from: network).isOpened, "the lock did not end after 15 minutes")
        // `user enable` lifts a lock, as `user reset` does.
        _ = try fail(5)
        #expect(try directory.accounts()[0].lockedUntil != nil)
        try directory.enableAccount("ana")
        #expect(try directory.accounts()[0].lockedUntil == nil)
        #expect(
            try directory.logIn(name: "ana", password: "correct horse battery", from: network).isOpened,
            "enabling the account did not lift its lock")
    }

    @Test func guessesSpreadOverManyNetworksLeaveOnlyTheNetworksANameSignedInFrom() throws {
        let directory = try Directory.inMemory()
        _ = try directory.addAccount(name: "ana", role: .viewer, password: "correct horse battery")
        let bogdanLink = try #require(try directory.addAccount(name: "bogdan", role: .viewer))
        let office = "203.0.113.9", bogdansDesk = "203.0.113.10", right = "correct horse battery"
        #expect(try directory.logIn(name: "ana", password: right, from: office).isOpened, "ana could not sign in from her office")
        _ = try directory.enrol(bogdanLink, password: right, from: bogdansDesk)
        for name in ["ana", "bogdan", "nobody"] {
            for index in 1...AccountRules.failingNetworksBeforeClosing {
                #expect(try directory.logIn(name: name, password: "wrong guess!!", from: "198.51.100.\(index)") == .refused)
            }
            // From a new network even the right password is refused as a wrong one is, for a name
            // with an account or without, and five attempts lock it there as usual.
            for _ in 1..<AccountRules.failuresBeforeLock { #expect(try directory.logIn(name: name, password: right, from: "192.0.2.200") == .refused) }
            #expect(try directory.logIn(name: name, password: right, from: "192.0.2.200").isLocked)
        }
        #expect(try directory.logIn(name: "ana", password: right, from: office).isOpened, "guesses from many networks kept ana out of her office")
        #expect(try directory.logIn(name: "bogdan", password: right, from: bogdansDesk).isOpened, "the network bogdan enrolled from is not his")
        // A reset forgets where the account signed in from: it may have been someone else's.
        _ = try directory.resetAccount("ana", password: "a new passphrase here")
        for index in 1...AccountRules.failingNetworksBeforeClosing { _ = try directory.logIn(name: "ana", password: "wrong guess!!", from: "198.51.100.\(index)") }
        #expect(try directory.logIn(name: "ana", password: "a new passphrase here", from: office) == .refused)
    }

    @Test func aNameNoAccountCanHaveIsRefusedAndNotKept() throws {
        let directory = try Directory.inMemory()
        for name in [String(repeating: "a", count: 5_000), "two\nlines", ""] {
            #expect(try directory.logIn(name: name, password: "wrong guess!!", from: "198.51.100.7") == .refused)
        }
        #expect(try directory.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sign_in_lock") } == 0)
        #expect(try directory.logIn(name: "nobody", password: "wrong guess!!", from: "198.51.100.7") == .refused)
        #expect(try directory.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sign_in_lock") } == 1)
    }

    @Test func aNetworkIsTurnedAwayAfterTwentyAttemptsThatDidNotSucceed() throws {
        let throttle = SignInThrottle(), start = Date(), network = "198.51.100.7"
        for _ in 0..<SignInThrottle.limit - 1 { #expect(throttle.admit(network, now: start) == start) }
        // A success is forgiven: the network still has one attempt left, then none.
        let window = try #require(throttle.admit(network, now: start))
        throttle.forgive(network, window: window)
        #expect(throttle.admit(network, now: start) != nil)
        #expect(throttle.admit(network, now: start) == nil)
        #expect(throttle.admit("198.51.100.8", now: start) != nil)
        // A new window starts afresh, and a success counted in the last one takes nothing from it.
        let later = start + SignInThrottle.window + 1
        #expect(throttle.admit(network, now: later) == later)
        throttle.forgive(network, window: window)
        for _ in 1..<SignInThrottle.limit { #expect(throttle.admit(network, now: later) != nil) }
        #expect(throttle.admit(network, now: later) == nil)
    }

    @Test func attemptsSentTogetherCannotPassTheLimit() async throws {
        let (node, _) = try Self.node()
        defer { node.remove() }
        let directory = node.directory
        let outcomes = try await withThrowingTaskGroup(of: LoginOutcome.self) { group in
            for _ in 0..<12 {
                group.addTask { try await onOwnThread { try directory.logIn(name: "ana", password: "wrong guess!!", from: "198.51.100.7") } }
            }
            return try await group.reduce(into: [LoginOutcome]()) { $0.append($1) }
        }
        // Four refusals, then locks: no attempt beyond the fifth had its password checked.
        #expect(outcomes.filter { $0 == .refused }.count == AccountRules.failuresBeforeLock - 1)
        #expect(
            try directory.logIn(name: "ana", password: "correct horse battery", from: "198.51.100.7").isLocked,
            "the right password opened the name after twelve guesses at once")
    }

    @Test func signInsAreCountedByIPv4AddressAndByIPv6Slash64() throws {
        let one = SignInNetwork.of(try SocketAddress(ipAddress: "2001:db8:1:2:aaaa::1", port: 443))
        #expect(one == "2001:db8:1:2::/64")
        #expect(SignInNetwork.of(try SocketAddress(ipAddress: "2001:db8:1:2:bbbb:cccc:dddd:eeee", port: 1)) == one)
        #expect(SignInNetwork.of(try SocketAddress(ipAddress: "2001:db8:1:3::1", port: 1)) != one)
        #expect(SignInNetwork.of(try SocketAddress(ipAddress: "::ffff:192.0.2.1", port: 1)) == "192.0.2.1")
        #expect(SignInNetwork.of(try SocketAddress(ipAddress: "192.0.2.1", port: 1)) == "192.0.2.1")
        #expect(SignInNetwork.of(try SocketAddress(ipAddress: "192.0.2.2", port: 1)) != "192.0.2.1")
    }

    @Test func anEnrolmentLinkSetsThePasswordOnce() async throws {
        let (node, _) = try Self.node()
        defer { node.remove() }
        let secret = try #require(try node.directory.addAccount(name: "bogdan", role: .viewer))
        try await MutualTLSTests().withServer(node) { port in
            let browser = try Browser(port: port)
            let form = try await browser.request("/enrol/\(secret)")
            #expect(form.status == 200 && form.body.contains("Choose the password for bogdan"))
            let token = try Browser.formToken(form)
            let short = try await browser.request("/enrol/\(secret)", form: ["form_token": token, "password": "short", "again": "short"])
            #expect(short.status == 400 && short.body.contains("needs at least 12 characters"))
            let set = try await browser.request(
                "/enrol/\(secret)", form: ["form_token": try Browser.formToken(short), "password": "a long enough secret", "again": "a long enough secret"])
            #expect(set.status == 200 && set.body.contains("Your password is set."))
            #expect(try await browser.request("/enrol/\(secret)").status == 404)
            #expect(try await browser.signIn("bogdan", "a long enough secret").status == 303)
        }
    }

    @Test func anEditorWritesPublishesEvaluatesAndLinksNotesAndAViewerCannot() async throws {
        let (node, _) = try Self.node()
        defer { node.remove() }
        _ = try node.directory.addAccount(name: "victor", role: .viewer, password: "a viewer's long password")
        try await MutualTLSTests().withServer(node) { port in
            let editor = try Browser(port: port)
            _ = try await editor.signIn("ana", "correct horse battery")
            let form = try await editor.request("/notes/new")
            #expect(form.status == 200 && form.body.contains("name=\"publish\""))
            let token = try Browser.formToken(form)
            var note = [
                "form_token": token, "title": "Recruiters at the Leușeni crossing", "language": "en", "countries": "MD, RO", "crime": "trafficking-in-persons",
                "body": """
                    Seen **twice**.

                    See [a link](javascript:alert(1)), ![pic](https://elsewhere.example/p.png) and [the law](https://law.example/art-165).

                    <script>alert(1)</script> <img src=x onerror=alert(1)>
                    """,
                "publish": "1", "reliability": "B", "credibility": "2", "sharing": "federation",
            ]
            // Publishing without a marking: the store's own message, next to the field.
            let unmarked = try await editor.request("/notes", form: note)
            #expect(unmarked.status == 400 && unmarked.body.contains("<p class=\"problem\">publishing needs a TLP marking"))
            #expect(unmarked.body.contains("Recruiters at the Leușeni crossing"))
            note["marking"] = "TLP:AMBER"
            let saved = try await editor.request("/notes", form: note)
            let location = try #require(saved.header("Location"))
            #expect(saved.status == 303 && location.hasPrefix("/notes/"))
            let page = try await editor.request(location)
            #expect(page.status == 200 && page.body.contains("<strong>twice</strong>"))
            #expect(page.body.contains("class=\"tlp-bar tlp-amber\"") && page.body.contains("<span class=\"grading\" title="))
            // Nothing of the body runs or loads; a link goes only to the web, mail or a phone.
            #expect(!page.body.contains("<script>alert") && !page.body.contains("<img") && !page.body.contains("href=\"javascript:"))
            #expect(page.body.contains("&lt;script&gt;") && page.body.contains("See a link, pic and"))
            #expect(page.body.contains("<a rel=\"noopener noreferrer\" href=\"https://law.example/art-165\">the law</a>"))

            let id = String(location.dropFirst("/notes/".count))
            let evaluated = try await editor.request("\(location)/evaluations", form: ["form_token": token, "reliability": "A", "credibility": "1", "comment": "Confirmed by border police"])
            #expect(evaluated.status == 303)
            let other = try node.directory.write { tx in
                try tx.save(Note(title: "Earlier sighting", language: "en", body: "Once.", countries: ["MD"], status: .published, reliability: .c, credibility: .three, marking: .green, distribution: .federation))
            }.value
            let linked = try await editor.request("\(location)/links", form: ["form_token": token, "relation": "corroborates", "other": other.id.shortID])
            #expect(linked.status == 303)
            let graded = try await editor.request(location)
            #expect(graded.body.contains("Confirmed by border police") && graded.body.contains("href=\"/notes/\(other.id.lowercasedString)\">Earlier sighting</a>"))
            let listed = try await editor.request("/notes?marking=TLP:AMBER")
            #expect(listed.body.contains(id) && !listed.body.contains(other.id.lowercasedString))
            // Graded 2 by its author, the note is found at credibility 2 or better, and not at 1.
            #expect(try await editor.request("/notes?credibility=2").body.contains(id))
            #expect(!(try await editor.request("/notes?credibility=1").body.contains(id)))

            // A viewer reads, and is refused every form.
            let viewer = try Browser(port: port)
            _ = try await viewer.signIn("victor", "a viewer's long password")
            let read = try await viewer.request(location)
            #expect(read.status == 200 && !read.body.contains("/evaluations\"") && !read.body.contains("Write a note"))
            let viewerToken = try Browser.formToken(read)
            #expect(try await viewer.request("/notes/new").status == 403)
            let refused = try await viewer.request("\(location)/evaluations", form: ["form_token": viewerToken, "reliability": "F", "credibility": "6"])
            #expect(refused.status == 403 && refused.body.contains("Your account may not do that."))
            #expect(try await viewer.request("/notes", form: note.merging(["form_token": viewerToken]) { $1 }).status == 403)
            #expect(try node.directory.notePage(matching: id, for: .local).evaluations.count == 1)
        }
    }

    @Test func administratorsSeeTheAuditLogAndStartASyncAndOthersDoNot() async throws {
        let (node, ion) = try Self.node()
        defer { node.remove() }
        let peer = try Node("Bucharest")
        defer { peer.remove() }
        _ = try node.directory.addPeer(try peer.card())
        _ = try node.directory.addAccount(name: "irina", role: .admin, password: "the administrator's password")
        try await MutualTLSTests().withServer(node) { port in
            let editor = try Browser(port: port)
            _ = try await editor.signIn("ana", "correct horse battery")
            _ = try await editor.request("/contacts/\(ion.id.lowercasedString)")
            let sync = try await editor.request("/sync")
            #expect(sync.status == 200 && sync.body.contains("Bucharest") && sync.body.contains("bundles only") && !sync.body.contains("Sync now"))
            #expect(try await editor.request("/sync", form: ["form_token": try Browser.formToken(sync)]).status == 403)
            #expect(try await editor.request("/audit").status == 403 && !sync.body.contains("href=\"/audit\""))

            let admin = try Browser(port: port)
            _ = try await admin.signIn("irina", "the administrator's password")
            let page = try await admin.request("/sync")
            #expect(page.body.contains("Sync now") && page.body.contains("href=\"/audit\""))
            let started = try await admin.request("/sync", form: ["form_token": try Browser.formToken(page)])
            #expect(started.status == 303 && started.header("Location") == "/sync?started=1")
            // The audit log, filtered by a record and by who: ana's look at the contact.
            let audit = try await admin.request("/audit?record=\(ion.id.shortID)&actor=ana")
            #expect(audit.status == 200 && audit.body.contains("web:ana") && audit.body.contains("web.read") && !audit.body.contains("web:irina"))
            #expect(try await admin.request("/audit?since=yesterday").status == 400)
        }
    }

    @Test func aNoteBodyCannotInjectHTMLOrLinkAnywhereButTheWebMailAndPhones() {
        let attacks = [
            #"[x](https://a"><meta http-equiv="refresh" content="0;url=https://evil.example/">)"#,
            "[r][ref]\n\n[ref]: https://a\"><meta http-equiv=\"refresh\">",
            "```x\"><meta http-equiv=\"refresh\" content=\"0\">\ncode <b>here</b>\n```",
            "a `<script>alert(1)</script>` b", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))", "[data](data:text/html,<script>)",
            "![pic](https://elsewhere.example/p.png)", "text <span onclick=\"x()\">inline</span> more",
        ]
        for attack in attacks {
            let html = WebMarkdown.html(attack)
            #expect(!html.contains("<meta") && !html.contains("<script") && !html.contains("<img") && !html.contains("<span") && !html.contains("<b>"), "\(attack) → \(html)")
            #expect(!html.contains("javascript:alert") || !html.contains("href="), "\(attack) → \(html)")
            #expect(!html.contains("href=\"data:"), "\(attack) → \(html)")
        }
        #expect(WebMarkdown.html("See [the law](https://law.example/a?b=1&c=2).").contains(#"<a rel="noopener noreferrer" href="https://law.example/a?b=1&amp;c=2">the law</a>"#))
        #expect(WebMarkdown.html("```swift\nlet x = 1 < 2\n```").contains("<pre><code>let x = 1 &lt; 2</code></pre>"))
    }

    @Test func aReturnAddressLeadsOnlyToThisNode() {
        for path in ["/search?q=x", "/countries/MD", "/notes/abc?x=1&y=2"] { #expect(NodeServer.localPath(path) == path) }
        for path in ["//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example", "/a\r\nSet-Cookie: x", "/ /x", nil] {
            #expect(NodeServer.localPath(path) == "/search", "\(String(describing: path))")
        }
    }

    @Test func disablingAnAccountEndsItsSessions() throws {
        let (node, _) = try Self.node()
        defer { node.remove() }
        guard case .opened(let cookie, let session) = try node.directory.logIn(name: "ana", password: "correct horse battery", from: "192.0.2.1") else {
            Issue.record("ana could not sign in")
            return
        }
        #expect(session.role == .editor && session.role.mayEdit)
        #expect(try node.directory.webSession(cookie: cookie)?.account == "ana")
        try node.directory.disableAccount("ana")
        #expect(try node.directory.webSession(cookie: cookie) == nil)
        #expect(try node.directory.logIn(name: "ana", password: "correct horse battery", from: "192.0.2.1") == .refused)
        #expect(try node.directory.logIn(name: "nobody", password: "correct horse battery", from: "192.0.2.1") == .refused)
        #expect(#expect(throws: LiaisonError.self) { try node.directory.addAccount(name: "cy", role: .viewer, password: "cy-cy-cy-cy-cy-cy") }?.message
            == "may not contain the account's name")
    }

    @Test func everyLanguageFileHasEveryKeyAndEveryTermIsTranslated() throws {
        let files = EmbeddedResources.web.filter { $0.name.hasPrefix("Translations/") }
        let english = try #require(files.first { $0.name == "Translations/en.txt" })
        let keys = Set(WebCatalog.parse(english.text).texts.keys)
        for file in files {
            let (texts, bad) = WebCatalog.parse(file.text)
            #expect(bad.isEmpty, "\(file.name): lines \(bad) are not `key = text`")
            let missing = keys.subtracting(texts.keys).sorted()
            #expect(missing.isEmpty, "\(file.name) lacks \(missing.joined(separator: ", "))")
        }
        let terms = AgencyKind.allCases.map { "kind.\($0.rawValue)" } + CrimeArea.allCases.map { "crime.\($0.rawValue)" }
            + FocalFunction.allCases.map { "function.\($0.rawValue)" } + ChannelKind.allCases.map { "channel.\($0.rawValue)" }
        #expect(Set(terms).subtracting(keys).isEmpty, "untranslated terms: \(Set(terms).subtracting(keys).sorted())")
        // Every template parses, and every text a template asks for exists.
        let renderer = WebRenderer.shared
        for template in EmbeddedResources.web where template.name.hasPrefix("Templates/") {
            for match in template.text.matches(of: #/\{\{\s*t\.([a-z0-9_]+)\s*\}\}/#) {
                #expect(renderer.catalog.labels("en")[String(match.1)] != nil, "\(template.name) asks for t.\(match.1)")
            }
        }
    }
}

extension LoginOutcome {
    var isLocked: Bool { if case .locked = self { true } else { false } }
    var isOpened: Bool { if case .opened = self { true } else { false } }
}
