/// A number and its noun, singular for one: `1 commit`, `2 commits`, `1 country`, `3 countries`.
///
/// Messages name counts this way rather than as `commit(s)`; `plural` is for nouns that do not
/// take an `s`.
package func counted(_ number: Int, _ noun: String, plural: String? = nil) -> String {
    "\(number) \(number == 1 ? noun : plural ?? noun + "s")"
}
