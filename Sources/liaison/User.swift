import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonServer

#if canImport(Glibc)
import Glibc
#endif

extension Liaison {
    struct UserCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user", abstract: "Manage the officers' accounts for the web page that `liaison serve` offers.",
            discussion: """
                Roles: viewer (reads), editor (also edits records and writes notes), admin (also sees the audit log and \
                starts a sync). Accounts are local to this node and never synced.
                """,
            subcommands: [Add.self, List.self, Disable.self, Enable.self, Reset.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add an account, with a password, or with a one-time enrolment link for the officer to set one.",
                discussion: "On a terminal the password is asked twice and not shown; else give --password-stdin or --enrol.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The officer's sign-in name.") var name: String
            @Option(help: "viewer, editor or admin.") var role: AccountRole
            @OptionGroup var password: PasswordOptions

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let typed = try password.read(for: name)
                    let enrolment = try directory.addAccount(name: name, role: role, password: typed)
                    say("Added \(name), \(role.rawValue).")
                    if let enrolment { password.sayEnrolment(enrolment, for: name) }
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the accounts (never their passwords).")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try reportingErrors {
                    let accounts = try data.openForReading().accounts()
                    if output.json { return try printJSON(accounts) }
                    guard !accounts.isEmpty else { return say("No accounts. Add one with `liaison user add NAME --role viewer`.") }
                    var table = Table("Name", "Role", "State", "Last sign-in")
                    for account in accounts {
                        table.add(account.name, account.role.rawValue, state(of: account), account.lastLoginAt.map { Timestamp.minute(iso8601: $0) + " UTC" } ?? "never")
                    }
                    say(table.render())
                }
            }

            func state(of account: Account) -> String {
                if account.disabledAt != nil { return "disabled" }
                if let locked = account.lockedUntil { return "locked from a network until \(Timestamp.minute(iso8601: locked)) UTC" }
                if !account.enrolled { return "waiting to enrol until \(account.enrolmentExpiresAt?.prefix(10) ?? "?")" }
                return "active"
            }
        }

        struct Disable: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Disable an account: its sessions end at once.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The account's name.") var name: String

            func run() throws {
                try reportingErrors {
                    try data.open().disableAccount(name)
                    say("Disabled \(name); its sessions have ended. `liaison user enable \(name)` restores it.")
                }
            }
        }

        struct Enable: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Enable a disabled account, or lift the locks that failed sign-ins put on it.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The account's name.") var name: String

            func run() throws {
                try reportingErrors {
                    try data.open().enableAccount(name)
                    say("Enabled \(name), and lifted any locks of failed sign-ins on it.")
                }
            }
        }

        struct Reset: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Reset an account's password, end its sessions and lift a lock.",
                discussion: "On a terminal the new password is asked twice and not shown; else give --password-stdin, or --enrol for a one-time link.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The account's name.") var name: String
            @OptionGroup var password: PasswordOptions

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let enrolment = try directory.resetAccount(name, password: try password.read(for: name))
                    say("Reset \(name); its sessions have ended.")
                    if let enrolment { password.sayEnrolment(enrolment, for: name) }
                }
            }
        }
    }
}


struct PasswordOptions: ParsableArguments {
    @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false
    @Flag(help: "Print a one-time enrolment link, valid 7 days, instead of setting a password.") var enrol = false
    @Option(help: ArgumentHelp("The page's address as officers reach it, to print the whole link.", valueName: "https://HOST:PORT"))
    var url: String?

    func validate() throws {
        if passwordStdin && enrol { throw ValidationError("give --password-stdin or --enrol, not both") }
    }

    /// The password given, or nil for an enrolment link.
    func read(for name: String) throws -> String? {
        if enrol { return nil }
        if passwordStdin {
            guard let line = Swift.readLine(strippingNewline: true), !line.isEmpty else {
                throw LiaisonError(.invalidValue, "none on standard input", field: "password")
            }
            return line
        }
        guard isatty(STDIN_FILENO) == 1 else {
            throw LiaisonError(.invalidValue, "none given: give --password-stdin, or --enrol for a one-time link", field: "password")
        }
        let first = prompt("Password for \(name) (\(AccountRules.passwordLength.lowerBound) characters or more): ")
        if let problem = AccountRules.problem(password: first, name: name) { throw LiaisonError(.invalidValue, problem, field: "password") }
        guard prompt("The same again: ") == first else { throw LiaisonError(.invalidValue, "the two entries differ", field: "password") }
        return first
    }

    func sayEnrolment(_ secret: String, for name: String) {
        let base = url.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? "https://THIS-NODE:8443"
        say("""
            One-time enrolment link for \(name), valid 7 days:
            \(base)/enrol/\(secret)
            \(url == nil ? "Put this node's address in place of THIS-NODE:8443. " : "")Give it to the officer by a safe channel: \
            whoever opens it first sets the password.
            """)
    }

    private func prompt(_ text: String) -> String {
        guard let typed = getpass(text) else { return "" }
        return String(cString: typed)
    }
}
