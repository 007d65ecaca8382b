/// The fictional sample directory that `liaison demo` loads.
public enum DemoDirectory {
    /// The CSV text of the sample directory.
    public static var csv: String { EmbeddedResources.demo.first { $0.name == "demo-directory.csv" }?.text ?? "" }

    /// Imports the sample directory into a node.
    public static func load(into directory: Directory) throws(LiaisonError) -> ImportSummary {
        try directory.importCSV(csv, fileName: "demo-directory.csv")
    }
}
