import Configuration
import Foundation
import LiaisonCore
import SystemPackage

/// The settings of `liaison serve`, from weakest to strongest: a JSON file, `LIAISON_*` environment
/// variables, then flags (Config/liaison.example.json lists every key).
struct ServeSettings {
    var listen = "0.0.0.0:8443"
    var syncEverySeconds = 60
    var backoffBaseSeconds = 30
    var backoffCapSeconds = 3_600
    var pushLimitBytes = 256 << 20
    var idleTimeoutSeconds = 30
    var maximumConnections = 1_000
    var connectionsPerClient = 32
    var transfersPerPeer = 2
    var logLevel = "warning"

    /// Reads the settings. `file` is the JSON file, if any; `environment` the process's variables,
    /// of which those named `LIAISON_` and a key in capitals, dots as underscores, count
    /// (`LIAISON_SYNC_EVERY_SECONDS`); `flags` the keys given on the command line.
    static func load(file: String?, environment: [String: String], flags: [String: ConfigContent]) async throws(LiaisonError) -> ServeSettings {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(values: Dictionary(uniqueKeysWithValues: flags.map { (AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)), ConfigValue($0.value, isSecret: false)) })),
            EnvironmentVariablesProvider(environmentVariables: Dictionary(uniqueKeysWithValues: environment.compactMap { name, value in
                name.hasPrefix("LIAISON_") ? (String(name.dropFirst("LIAISON_".count)), value) : nil
            })),
        ]
        if let file {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(file)))
            } catch {
                throw LiaisonError(.invalidFile, "cannot read the settings: \(error)", file: file, hint: "Config/liaison.example.json shows every key")
            }
        }
        let reader = ConfigReader(providers: providers)
        var settings = ServeSettings()
        settings.listen = try text(reader, "server.listen", default: settings.listen)
        settings.syncEverySeconds = try number(reader, "sync.every_seconds", default: settings.syncEverySeconds, in: 0...86_400)
        settings.backoffBaseSeconds = try number(reader, "sync.backoff.base_seconds", default: settings.backoffBaseSeconds, in: 1...86_400)
        settings.backoffCapSeconds = try number(reader, "sync.backoff.cap_seconds", default: settings.backoffCapSeconds, in: 1...604_800)
        settings.pushLimitBytes = try number(reader, "limits.push_bytes", default: settings.pushLimitBytes, in: 1 << 16...1 << 30)
        settings.idleTimeoutSeconds = try number(reader, "limits.idle_timeout_seconds", default: settings.idleTimeoutSeconds, in: 1...3_600)
        settings.maximumConnections = try number(reader, "limits.connections", default: settings.maximumConnections, in: 1...100_000)
        settings.connectionsPerClient = try number(reader, "limits.connections_per_client", default: settings.connectionsPerClient, in: 1...100_000)
        settings.transfersPerPeer = try number(reader, "limits.transfers_per_peer", default: settings.transfersPerPeer, in: 1...64)
        settings.logLevel = try text(reader, "log.level", default: settings.logLevel)
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(settings.logLevel) else {
            throw LiaisonError.invalid("log.level", settings.logLevel, "expected one of \(levels.joined(separator: ", "))")
        }
        guard settings.backoffBaseSeconds <= settings.backoffCapSeconds else {
            throw LiaisonError.invalid("sync.backoff.base_seconds", "\(settings.backoffBaseSeconds)", "must not be above sync.backoff.cap_seconds (\(settings.backoffCapSeconds))")
        }
        return settings
    }

    /// A whole number in `range`; a value of another type, or out of range, is an error naming the key.
    private static func number(_ reader: ConfigReader, _ key: String, default value: Int, in range: ClosedRange<Int>) throws(LiaisonError) -> Int {
        let configKey = ConfigKey(key.split(separator: ".").map(String.init))
        if let number = reader.int(forKey: configKey) {
            guard range.contains(number) else { throw LiaisonError.invalid(key, "\(number)", "expected \(range.lowerBound) to \(range.upperBound)") }
            return number
        }
        if let text = reader.string(forKey: configKey) { throw LiaisonError.invalid(key, text, "expected a whole number") }
        if let flag = reader.bool(forKey: configKey) { throw LiaisonError.invalid(key, "\(flag)", "expected a whole number") }
        return value
    }

    private static func text(_ reader: ConfigReader, _ key: String, default value: String) throws(LiaisonError) -> String {
        let configKey = ConfigKey(key.split(separator: ".").map(String.init))
        if let text = reader.string(forKey: configKey) { return text }
        if let number = reader.int(forKey: configKey) { throw LiaisonError.invalid(key, "\(number)", "expected text") }
        return value
    }
}
