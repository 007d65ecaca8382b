import Foundation
import Hummingbird
import LiaisonCore
import LiaisonSync
import Logging

/// The start of a day written `YYYY-MM-DD`, or nil for none.
private func auditDay(_ text: String) throws(LiaisonError) -> Date? {
    guard !text.isEmpty else { return nil }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withFullDate]
    guard let date = formatter.date(from: text) else { throw LiaisonError.invalid("since", text, "expected a date, YYYY-MM-DD") }
    return date
}

/// The page's sync status, for every officer, with a "sync now" button for administrators, and
/// the audit log with a filter, for administrators only.
extension NodeServer {
    static func addAdminPages(to web: RouterGroup<NodeRequestContext>, directory: Directory, tls: NodeTLS, wakeup: BackgroundSync.Wakeup?) {
        let renderer = WebRenderer.shared
        let catalog = renderer.catalog
        web.get("sync") { request, context in
            let statuses = try await reading { () throws(LiaisonError) in try directory.peerStatuses() }
            let language = context.language
            let rows: [[String: Any]] = statuses.map { status in
                var row: [String: Any] = [
                    "name": status.peer.name, "address": status.peer.url ?? catalog.text("sync.bundles_only", language),
                    "success": status.lastSuccessAt.map { Timestamp.iso8601(database: $0) } ?? catalog.text("sync.never", language),
                    "toSend": "\(status.peerVectorKnown || status.commitsToSend == 0 ? "" : "≤ ")\(status.commitsToSend)",
                    "toReceive": status.commitsToReceive.map(String.init) ?? catalog.text("sync.unknown", language),
                ]
                if status.failures > 0 || status.lastSuccessAt == nil, let error = status.lastError {
                    row["error"] = "\(status.lastErrorAt.map { Timestamp.iso8601(database: $0) + ": " } ?? "")\(error)"
                }
                return row
            }
            let view: [String: Any] = [
                "peers": rows, "nothing": rows.isEmpty, "mayStart": context.webSession?.role == .admin,
                "formToken": context.webSession?.formToken ?? "",
                "started": request.uri.queryParameters["started"] != nil,
            ]
            return renderer.page("sync", title: catalog.text("sync.title", language), view: view, request: request, context: context)
        }
        web.post("sync") { request, context in
            let form = try await WebForm(request)
            guard let session = context.webSession, session.role == .admin else {
                throw LiaisonError(.forbidden, catalog.text("error.forbidden", context.language))
            }
            guard form.carries(session.formToken) else { throw LiaisonError(.forbidden, catalog.text("error.form_expired", context.language)) }
            if let wakeup {
                wakeup.wake()
            } else {
                // No background sync to wake: this round runs on its own, as `liaison sync --all` would.
                let logger = context.logger
                Task.detached {
                    for peer in (try? directory.peers()) ?? [] where peer.url != nil && peer.revokedAt == nil {
                        do {
                            _ = try await directory.sync(with: try HTTPSSyncTransport(peer: peer, tls: tls))
                        } catch {
                            logger.warning("sync failed", metadata: ["peer": "\(peer.nodeID.prefix(8))", "error": "\(error)"])
                        }
                    }
                }
            }
            return WebMiddleware.redirect("/sync?started=1")
        }
        web.get("audit") { request, context in
            guard context.webSession?.role == .admin else { throw LiaisonError(.forbidden, catalog.text("error.forbidden", context.language)) }
            let parameters = request.uri.queryParameters
            let record = parameters["record"].map { String($0).trimmed }.flatMap { $0.isEmpty ? nil : $0 }
            let actor = parameters["actor"].map { String($0).trimmed } ?? ""
            let since = parameters["since"].map { String($0).trimmed } ?? ""
            let sinceDate = try auditDay(since)
            // Reading the log is itself recorded, with the record it was filtered by.
            let entries = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                Array(try directory.auditEntries(since: sinceDate, record: record).filter { actor.isEmpty || $0.actor.localizedCaseInsensitiveContains(actor) }.suffix(200))
            } records: { _ in record.map { [$0] } ?? [] }
            let rows: [[String: Any]] = entries.reversed().map { entry in
                [
                    "sequence": entry.sequence, "at": entry.at, "actor": entry.actor, "action": entry.action.rawValue,
                    "records": entry.records.prefix(5).map { String($0.suffix(8)) }.joined(separator: " ") + (entry.records.count > 5 ? " …" : ""),
                    "detail": entry.detail.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "), "reason": entry.reason ?? "",
                ]
            }
            let view: [String: Any] = ["entries": rows, "nothing": rows.isEmpty, "record": record ?? "", "actor": actor, "since": since]
            return renderer.page("audit", title: catalog.text("audit.title", context.language), view: view, request: request, context: context)
        }
    }
}
