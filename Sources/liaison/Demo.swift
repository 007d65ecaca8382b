import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a node with a fictional sample directory, then show a country page and a search.",
            discussion: "Without --data the demo node lives in a new temporary folder on each run, which it prints.")

        @Option(help: ArgumentHelp("Folder for the demo node (default: a temporary folder).", valueName: "dir")) var data: String?

        func run() throws {
            try reportingErrors {
                // A new folder each run: two demos at once, or two users of one machine, never share one.
                let folder = NodeFolder(
                    url: data.map { URL(fileURLWithPath: $0) }
                        ?? FileManager.default.temporaryDirectory.appending(path: "liaison-demo-\(UUID().uuidString.prefix(8).lowercased())"))
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
        }
    }
}
