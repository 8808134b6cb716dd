import Foundation

/// Reads a JSON fixture from this bundle's `Fixtures` folder (see Fixtures/make_fixtures.py).
func fixture(_ name: String) throws -> [String: Any] {
    let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
    let data = try Data(contentsOf: url)
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}

/// A JSON number, or one of the strings "inf" / "-inf".
func number(_ value: Any?) -> Double {
    if let s = value as? String { return s == "inf" ? .infinity : s == "-inf" ? -.infinity : Double(s)! }
    return (value as! NSNumber).doubleValue
}

/// |got − want| / |want| (absolute when want is 0).
func relativeError(_ got: Double, _ want: Double) -> Double {
    want == 0 ? abs(got) : abs(got - want) / abs(want)
}
