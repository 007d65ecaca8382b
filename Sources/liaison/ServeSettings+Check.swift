import Configuration
import Foundation
import LiaisonCore

extension ServeSettings {
    /// Refuses a settings file that is not strict JSON, has a key no setting has, or a value of the
    /// wrong type or range; the error names the file and the key. Keys starting with `//` are notes.
    /// Returns the file's settings by key.
    static func checkFile(_ file: String) throws(LiaisonError) -> [String: ConfigContent] {
        let shown = file.isEmpty ? "\"\"" : file
        var isFolder: ObjCBool = false
        guard !file.isEmpty, FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) else {
            throw LiaisonError(.invalidFile, "no such settings file", file: shown)
        }
        guard !isFolder.boolValue, (try? FileManager.default.attributesOfItem(atPath: file)[.type] as? FileAttributeType) == .typeRegular else {
            throw LiaisonError(.invalidFile, "not a regular file: give a JSON settings file", file: shown)
        }
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(filePath: file))
        } catch {
            throw LiaisonError(.invalidFile, "cannot read the settings: \(error.localizedDescription)", file: file)
        }
        let hint = "Config/liaison.example.json shows every key"
        let json: StrictJSON
        do {
            json = try StrictJSON.parse(bytes)
        } catch {
            throw LiaisonError(.invalidFile, "not JSON: \(error)", file: file, hint: hint)
        }
        guard case .object = json else { throw LiaisonError(.invalidFile, "expected an object of settings", file: file, hint: hint) }
        var settings: [String: ConfigContent] = [:]
        try check(json, at: [], file: file, into: &settings)
        return settings
    }

    private static func check(_ value: StrictJSON, at path: [String], file: String, into settings: inout [String: ConfigContent]) throws(LiaisonError) {
        let name = path.joined(separator: ".")
        if let kind = kind(of: name) {
            let reason: String?
            switch (value, kind) {
            case (.number(let written), .number):
                reason = problem(with: written, as: kind)
            case (.string(let text), .choice), (.string(let text), .address):
                reason = problem(with: text, as: kind)
            case (_, .number):
                reason = "expected a whole number"
            case (_, .choice), (_, .address):
                reason = "expected text in quotes"
            }
            if let reason { throw LiaisonError(.invalidValue, reason, field: name, value: value.written, file: file) }
            switch value {
            case .number(let written): settings[name] = Int(written).map(ConfigContent.int)
            case .string(let text): settings[name] = .string(text)
            default: break
            }
            return
        }
        guard case .object(let members) = value else {
            throw LiaisonError(.invalidValue, "expected an object of settings", field: name, value: value.written, file: file)
        }
        for (key, member) in members where !key.hasPrefix("//") {
            // "sync.every_seconds" beside {"sync": {"every_seconds": …}} would name one setting twice.
            guard !key.contains(".") else {
                throw LiaisonError(
                    .invalidValue, "a key must not contain a dot: nest objects instead", field: (path + [key]).joined(separator: "."), file: file,
                    hint: "write {\"sync\": {\"every_seconds\": 30}}, as Config/liaison.example.json does")
            }
            let inner = path + [key]
            let innerName = inner.joined(separator: ".")
            guard keys.contains(where: { $0.name == innerName || $0.name.hasPrefix(innerName + ".") }) else {
                let siblings = keys.map(\.name).filter { name.isEmpty || $0.hasPrefix(name + ".") }
                throw LiaisonError(
                    .invalidValue, "no setting has this key", field: innerName, file: file,
                    hint: "the keys are \(siblings.joined(separator: ", ")); a key starting with // is a note")
            }
            try check(member, at: inner, file: file, into: &settings)
        }
    }

    /// Refuses a `LIAISON_*` variable of a setting whose text is not a value of it, naming the
    /// variable, and warns of a variable in a settings section that no setting has (a misspelling).
    static func checkEnvironment(_ environment: [String: String], warn: (String) -> Void) throws(LiaisonError) {
        let variables = Dictionary(uniqueKeysWithValues: keys.map { (variable(for: $0.name), $0) })
        let sections = Set(keys.map { variable(for: String($0.name.prefix { $0 != "." })) + "_" })
        for (name, text) in environment.sorted(by: { $0.key < $1.key }) {
            if let key = variables[name] {
                if let reason = problem(with: text, as: key.kind) {
                    throw LiaisonError.invalid(key.name, text, "\(reason), set by \(name)")
                }
            } else if sections.contains(where: { name.hasPrefix($0) }) {
                warn("warning: \(name) is not a setting of serve and is ignored; the settings are \(variables.keys.sorted().joined(separator: ", "))")
            }
        }
    }
}

extension StrictJSON {
    /// The value as it would be written, for an error message.
    var written: String {
        switch self {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .number(let text): text
        case .string(let text): text
        case .array: "a list"
        case .object: "an object"
        }
    }
}
