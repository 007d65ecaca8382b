import Configuration
import Foundation
import LiaisonCore
import LiaisonServer

/// The settings of `liaison serve`, from weakest to strongest: a JSON file, `LIAISON_*` environment
/// variables, then flags (Config/liaison.example.json lists every key).
struct ServeSettings {
    var listen = "0.0.0.0:8443"
    var syncEverySeconds = 60
    var backoffBaseSeconds = 30
    var backoffCapSeconds = 3_600
    var pushLimitBytes = 256 << 20
    var idleTimeoutSeconds = 30
    var requestSeconds = 15
    var maximumConnections = 1_000
    var connectionsPerClient = 32
    var transfersPerPeer = 2
    var logLevel = "warning"

    /// What a key holds.
    enum Kind {
        case number(ClosedRange<Int>)
        /// HOST:PORT, as `NodeServerConfiguration(listen:)` reads it.
        case address
        case choice([String])
    }

    /// Every key of the settings, as Config/liaison.example.json lists them.
    static let keys: [(name: String, kind: Kind)] = [
        ("server.listen", .address),
        ("sync.every_seconds", .number(0...86_400)),
        ("sync.backoff.base_seconds", .number(1...86_400)),
        ("sync.backoff.cap_seconds", .number(1...604_800)),
        ("limits.push_bytes", .number(1 << 16...1 << 30)),
        ("limits.idle_timeout_seconds", .number(1...3_600)),
        ("limits.request_seconds", .number(1...600)),
        ("limits.connections", .number(1...100_000)),
        ("limits.connections_per_client", .number(1...100_000)),
        ("limits.transfers_per_peer", .number(1...64)),
        ("log.level", .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"])),
    ]

    /// The environment variable that sets `key`: `sync.every_seconds` is `LIAISON_SYNC_EVERY_SECONDS`.
    static func variable(for key: String) -> String {
        "LIAISON_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// Reads the settings. `file` is the JSON file, if any; `environment` the process's variables,
    /// of which those named `LIAISON_` and a key in capitals, dots as underscores, count
    /// (`LIAISON_SYNC_EVERY_SECONDS`); `flags` the keys given on the command line. Each source is
    /// checked on its own first, so that an error names where the bad value came from.
    static func load(
        file: String?, environment: [String: String], flags: [String: ConfigContent], warn: (String) -> Void = { _ in }
    ) async throws(LiaisonError) -> ServeSettings {
        // The file is read once, by the strict reader, and its checked values given to the
        // configuration reader as they are.
        let fromFile = try file.map { file throws(LiaisonError) in try checkFile(file) } ?? [:]
        try checkEnvironment(environment, warn: warn)
        func inMemory(_ values: [String: ConfigContent]) -> InMemoryProvider {
            InMemoryProvider(values: Dictionary(uniqueKeysWithValues: values.map { (AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)), ConfigValue($0.value, isSecret: false)) }))
        }
        let reader = ConfigReader(providers: [
            inMemory(flags),
            EnvironmentVariablesProvider(environmentVariables: Dictionary(uniqueKeysWithValues: environment.compactMap { name, value in
                name.hasPrefix("LIAISON_") ? (String(name.dropFirst("LIAISON_".count)), value) : nil
            })),
            inMemory(fromFile),
        ])
        var settings = ServeSettings()
        settings.listen = text(reader, "server.listen", default: settings.listen)
        settings.syncEverySeconds = try number(reader, "sync.every_seconds", default: settings.syncEverySeconds)
        settings.backoffBaseSeconds = try number(reader, "sync.backoff.base_seconds", default: settings.backoffBaseSeconds)
        settings.backoffCapSeconds = try number(reader, "sync.backoff.cap_seconds", default: settings.backoffCapSeconds)
        settings.pushLimitBytes = try number(reader, "limits.push_bytes", default: settings.pushLimitBytes)
        settings.idleTimeoutSeconds = try number(reader, "limits.idle_timeout_seconds", default: settings.idleTimeoutSeconds)
        settings.requestSeconds = try number(reader, "limits.request_seconds", default: settings.requestSeconds)
        settings.maximumConnections = try number(reader, "limits.connections", default: settings.maximumConnections)
        settings.connectionsPerClient = try number(reader, "limits.connections_per_client", default: settings.connectionsPerClient)
        settings.transfersPerPeer = try number(reader, "limits.transfers_per_peer", default: settings.transfersPerPeer)
        settings.logLevel = text(reader, "log.level", default: settings.logLevel)
        guard settings.backoffBaseSeconds <= settings.backoffCapSeconds else {
            throw LiaisonError.invalid("sync.backoff.base_seconds", "\(settings.backoffBaseSeconds)", "must not be above sync.backoff.cap_seconds (\(settings.backoffCapSeconds))")
        }
        return settings
    }

    /// A whole number in its key's range. File and environment are checked before; this catches flags.
    private static func number(_ reader: ConfigReader, _ key: String, default value: Int) throws(LiaisonError) -> Int {
        guard let number = reader.int(forKey: ConfigKey(key.split(separator: ".").map(String.init))) else { return value }
        if let kind = kind(of: key), let reason = problem(with: "\(number)", as: kind) { throw LiaisonError.invalid(key, "\(number)", reason) }
        return number
    }

    private static func text(_ reader: ConfigReader, _ key: String, default value: String) -> String {
        reader.string(forKey: ConfigKey(key.split(separator: ".").map(String.init))) ?? value
    }

    static func kind(of key: String) -> Kind? {
        keys.first { $0.name == key }?.kind
    }

    /// Why `text` is not a value of `kind`, or nil when it is.
    static func problem(with text: String, as kind: Kind) -> String? {
        switch kind {
        case .address:
            do {
                _ = try NodeServerConfiguration(listen: text)
                return nil
            } catch {
                return error.message
            }
        case .number(let range):
            guard let number = Int(text), text.allSatisfy(\.isASCII), !text.hasPrefix("+") else { return "expected a whole number" }
            return range.contains(number) ? nil : "expected \(range.lowerBound) to \(range.upperBound)"
        case .choice(let choices):
            return choices.contains(text) ? nil : "expected one of \(choices.joined(separator: ", "))"
        }
    }
}
