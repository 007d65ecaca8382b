import ArgumentParser
import Foundation
import LiaisonCore

extension Liaison {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the directory as JSON (lossless), CSV, or vCard 4.0 for phones and address books.")

        @OptionGroup var data: DataOptions
        @Option(help: "json, csv or vcard.") var format: ExportFormat = .json
        @Option(help: "Only this country (ISO alpha-2).") var country: String?
        @Option(help: "Write to this file instead of standard output.") var out: String?

        func run() throws {
            try reportingErrors {
                let directory = try data.openForReading()
                let bytes = try directory.export(format, country: country)
                if let country, try directory.agencies(country: try directory.country(country).code).isEmpty {
                    FileHandle.standardError.write(Data("warning: no agencies or contacts in \(country.uppercased()); the export is empty\n".utf8))
                }
                guard let out else {
                    FileHandle.standardOutput.write(bytes)
                    return
                }
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: out, isDirectory: &isFolder), isFolder.boolValue {
                    throw LiaisonError(.invalidFile, "is a folder; give a file name", file: out)
                }
                // Contact details are for the officer who exports them: private to the user, like the node.
                guard FileManager.default.createFile(atPath: out, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
                    throw LiaisonError(.invalidFile, "cannot write the file (does its folder exist, and may you write there?)", file: out)
                }
                FileHandle.standardError.write(Data("Wrote \(counted(bytes.count, "byte")) to \(out)\n".utf8))
            }
        }
    }
}
