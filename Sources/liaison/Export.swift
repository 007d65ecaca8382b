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
                let bytes = try data.open().export(format, country: country)
                guard let out else {
                    FileHandle.standardOutput.write(bytes)
                    return
                }
                do {
                    try bytes.write(to: URL(fileURLWithPath: out), options: .atomic)
                } catch {
                    throw LiaisonError(.invalidFile, "cannot write: \(error.localizedDescription)", file: out)
                }
                FileHandle.standardError.write(Data("Wrote \(bytes.count) bytes to \(out)\n".utf8))
            }
        }
    }
}
