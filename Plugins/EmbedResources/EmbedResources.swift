import Foundation
import PackagePlugin

/// Compiles the SQL migrations in `Schema/` and the demo directory into the library, so that the
/// `liaison` binary carries its schema wherever it is copied.
@main
struct EmbedResources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        // The schema and the demo go into the core library; the web page's templates, assets and
        // translations into the server.
        let core = target.name == "LiaisonCore"
        let migrations = core ? try files(in: context.package.directoryURL.appending(path: "Schema"), withExtension: "sql") : []
        let demo = core ? try files(in: target.directoryURL.appending(path: "Demo"), withExtension: "csv") : []
        let web = ["Templates", "Assets", "Translations"].flatMap { folder in
            (try? FileManager.default.contentsOfDirectory(at: target.directoryURL.appending(path: "Web/\(folder)"), includingPropertiesForKeys: nil))?
                .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.lastPathComponent < $1.lastPathComponent } ?? []
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedResources.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(migrations.count) migrations, \(demo.count) demo files and \(web.count) web files in \(target.name)",
                executable: try context.tool(named: "EmbedResourcesTool").url,
                arguments: [output.path(percentEncoded: false)]
                    + ["--migrations"] + migrations.map { $0.path(percentEncoded: false) }
                    + ["--demo"] + demo.map { $0.path(percentEncoded: false) }
                    + ["--web"] + web.map { $0.path(percentEncoded: false) },
                inputFiles: migrations + demo + web,
                outputFiles: [output]
            )
        ]
    }

    private func files(in directory: URL, withExtension pathExtension: String) throws -> [URL] {
        let urls = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return urls.filter { $0.pathExtension == pathExtension }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
