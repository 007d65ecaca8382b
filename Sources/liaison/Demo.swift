import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a node with a fictional sample directory, show a country page and a search, then a federation of three nodes syncing over HTTPS.",
            discussion: """
                Without --data the demo nodes live in a new temporary folder on each run, which it prints. Headquarters (the demo node) and a regional hub serve on loopback; a field office edits while cut off and reconnects through the hub. Then the two keep serving until Ctrl-C, with an API token and a curl line; with --once the demo ends there.
                """)

        @Option(help: ArgumentHelp("Folder for the demo nodes (default: a temporary folder).", valueName: "dir")) var data: String?
        @Flag(help: "End after the federation has synced, instead of serving until Ctrl-C.") var once = false

        func run() async throws {
            let folder = NodeFolder(
                url: data.map { URL(fileURLWithPath: $0) }
                    ?? FileManager.default.temporaryDirectory.appending(path: "liaison-demo-\(UUID().uuidString.prefix(8).lowercased())"))
            try reportingErrors {
                // A new folder each run: two demos at once, or two users of one machine, never share one.
                let marker = folder.url.appending(path: ".liaison-demo")
                if folder.exists {
                    guard FileManager.default.fileExists(atPath: marker.path) else {
                        throw LiaisonError(.nodeFolder, "\(folder.url.path) holds a real node; the demo will not touch it", hint: "give the demo another --data folder")
                    }
                    try? FileManager.default.removeItem(at: folder.url)
                }
                let directory = try folder.initialize(name: "Demo liaison desk", agency: "Demo Agency (fictional)")
                _ = FileManager.default.createFile(atPath: marker.path, contents: Data("made by liaison demo\n".utf8))
                let summary = try DemoDirectory.load(into: directory)
                print("Demo node \(directory.node.id) in \(folder.url.path)")
                print("Loaded the fictional sample directory: \(counted(summary.rows, "row")), \(counted(summary.agenciesCreated, "agency or unit", plural: "agencies and units")), \(counted(summary.contactsCreated, "contact")), \(counted(summary.commits, "signed commit")).\n")
                print(String(repeating: "=", count: 72))
                print("$ liaison country show MD\n")
                printCountryPage(try directory.countryPage("MD"))
                print("\n" + String(repeating: "=", count: 72))
                print("$ liaison search ivanov          (finds Иванов)\n")
                printHits(try directory.search(SearchQuery("ivanov")))
                print("\n$ liaison search trafficking --country GR --24x7\n")
                printHits(try directory.search(SearchQuery("trafficking", country: "GR", only24x7: true)))
                let report = try directory.read { db in try LogStore.verify(in: db) }
                print("\n$ liaison log verify\nOK: \(counted(report.commits, "commit")) and \(counted(report.changes, "change")) verified")
                let path = folder.url.path
                print("""

                    Try it yourself:
                      swift run liaison search "jose munoz" --data \(path)
                      swift run liaison search mold --data \(path)
                      swift run liaison country show VN --data \(path)
                      swift run liaison export --format vcard --country MD --data \(path)
                    """)
            }
            do {
                try await DemoFederation(in: folder.url, headquarters: folder).run(once: once)
            } catch {
                FileHandle.standardError.write(Data("error: \(error.message.terminalSafe)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
