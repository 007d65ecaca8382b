import ArgumentParser
import Foundation
import LiaisonCore

extension Liaison {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import contacts from a CSV or JSON file; all rows or nothing.",
            discussion: """
                CSV columns (any order): \(CSVFormat.columns.joined(separator: ", ")).
                If any row is invalid nothing is imported and every bad row is listed as FILE:ROW: field: reason.
                Importing the same file again adds nothing: see the README for the matching rules.
                """)

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "A .csv or .json file.", completion: .file(extensions: ["csv", "json"])) var file: String
        @Flag(name: .customLong("dry-run"), help: "Check the file and report what would change, writing nothing.") var dryRun = false

        func run() throws {
            try stoppingOnInterrupt { interruption in
                try reportingErrors {
                    let directory = try data.open()
                    let interactive = isatty(STDERR_FILENO) != 0 && !output.json
                    let summary = try directory.importFile(URL(fileURLWithPath: file), dryRun: dryRun, interruption: interruption) { done, total in
                        if interactive, total >= 2000 {
                            FileHandle.standardError.write(Data("\rimporting: \(done)/\(counted(total, "row"))".utf8))
                        }
                    }
                    if interactive, summary.rows >= 2000 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                    if output.json { return try printJSON(summary) }
                    printImportSummary(summary)
                }
            }
        }
    }
}

func printImportSummary(_ summary: ImportSummary) {
    print("""
        \(summary.dryRun ? "Checked (dry run, nothing written)" : "Imported") \(summary.file): \(counted(summary.rows, "row"))
          agencies and units: \(summary.agenciesCreated) new, \(summary.agenciesUpdated) updated
          contacts:           \(summary.contactsCreated) new, \(summary.contactsUpdated) updated
          channels:           \(summary.channelsCreated) new, \(summary.channelsUpdated) updated
          designations:       \(summary.designationsCreated) new, \(summary.designationsUpdated) updated
          signed commits:     \(summary.commits)
        """)
}
