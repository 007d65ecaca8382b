/// An ISO 3166-1 country, seeded from the schema.
public struct Country: Sendable, Hashable, Codable {
    /// Alpha-2, e.g. `MD`.
    public var code: String
    public var alpha3: String
    public var numeric: String
    public var name: String
    public var officialName: String?
    public var unRegion: String?
    public var unSubregion: String?
    /// E.164 country calling code, e.g. `373`.
    public var callingCode: String?
}
