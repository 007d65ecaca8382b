import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

@Suite struct NodeFolderTests {
    @Test func initCreatesPrivateFolderAndKeys() throws {
        let folder = NodeFolder(url: Fixtures.temporaryFolder())
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let directory = try folder.initialize(name: "Chisinau desk", agency: "National Police")
        func mode(_ url: URL) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        #expect(try mode(folder.url) == 0o700)
        #expect(try mode(folder.signingKeyURL) == 0o600)
        #expect(try mode(folder.tlsKeyURL) == 0o600)
        let certificate = try String(contentsOf: folder.tlsCertificateURL, encoding: .utf8)
        #expect(certificate.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(try folder.tlsPin().count == 64)
        #expect(directory.node.id == NodeID(publicKey: directory.node.publicKey))

        let reopened = try folder.open()
        #expect(reopened.node.id == directory.node.id)
        #expect(reopened.node.name == "Chisinau desk")
    }

    @Test func initRefusesAnExistingNodeAndChangesNothing() throws {
        let folder = NodeFolder(url: Fixtures.temporaryFolder())
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let first = try folder.initialize(name: "First", agency: "A")
        let keyBefore = try Data(contentsOf: folder.signingKeyURL)
        let error = #expect(throws: LiaisonError.self) { try folder.initialize(name: "Second", agency: "B") }
        #expect(error?.code == .nodeFolder)
        #expect(try Data(contentsOf: folder.signingKeyURL) == keyBefore)
        #expect(try folder.open().node.id == first.node.id)
    }

    @Test func dataFolderResolutionOrder() {
        #expect(NodeFolder.resolve("/tmp/a", environment: ["LIAISON_HOME": "/tmp/b"]).url.path == "/tmp/a")
        #expect(NodeFolder.resolve(nil, environment: ["LIAISON_HOME": "/tmp/b"]).url.path == "/tmp/b")
        #expect(NodeFolder.resolve(nil, environment: [:]).url.lastPathComponent == ".liaison")
    }

    @Test func openingAMissingNodeExplainsHowToCreateOne() {
        let error = #expect(throws: LiaisonError.self) { try NodeFolder(url: Fixtures.temporaryFolder()).open() }
        #expect(error?.hint?.contains("liaison init") == true)
    }
}
