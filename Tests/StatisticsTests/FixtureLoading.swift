import Foundation

/// Loads a JSON fixture committed under Fixtures/ (made by the Python scripts next to it).
func loadFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// |a − b| ≤ tolerance·max(|b|, floor): relative error with an absolute floor for values near 0.
func close(_ a: Double?, _ b: Double, relative tolerance: Double, floor: Double = 1e-300) -> Bool {
    guard let a else { return false }
    if a == b { return true }
    return abs(a - b) <= tolerance * max(abs(b), floor)
}
