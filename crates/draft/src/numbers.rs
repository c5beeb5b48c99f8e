//! Numbers said in words, as Whisper writes them when it does not use digits: "twenty
//! eight", "thirty nine point two", "one hundred and five", "two and a half", "a
//! quarter". [`parse`] reads one at the start of a word list; [`normalise`] rewrites a
//! whole text with digits, so "twenty-eight kilograms" and "28 kilograms" compare equal.

/// A number read from words, and how many words it used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parsed {
    pub value: f64,
    pub words: usize,
}

fn unit(word: &str) -> Option<u32> {
    Some(match word {
        "zero" | "oh" | "nought" => 0,
        "one" | "a" | "an" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        _ => return None,
    })
}

fn tens(word: &str) -> Option<u32> {
    Some(match word {
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        _ => return None,
    })
}

fn fraction(word: &str) -> Option<f64> {
    Some(match word {
        "half" => 0.5,
        "quarter" => 0.25,
        "quarters" => 0.25,
        "third" => 1.0 / 3.0,
        _ => return None,
    })
}

fn digit_value(word: &str) -> Option<f64> {
    let cleaned = word.replace(',', "");
    cleaned.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Reads a number at the start of `words` (lowercase, punctuation removed). "a" and
/// "an" count only before "half"/"quarter" or a scale word ("a hundred").
pub fn parse(words: &[&str]) -> Option<Parsed> {
    let mut i = 0;
    let mut total: u64 = 0;
    let mut current: u64 = 0;
    let mut any = false;
    while let Some(word) = words.get(i) {
        let word = *word;
        if matches!(word, "a" | "an") {
            let next = words.get(i + 1).copied().unwrap_or("");
            if any {
                break;
            }
            if let Some(frac) = fraction(next) {
                return Some(Parsed {
                    value: frac,
                    words: 2,
                });
            }
            if !matches!(next, "hundred" | "thousand") {
                break;
            }
        }
        if let Some(v) = digit_value(word).filter(|_| !any) {
            // "2.5", "28", perhaps followed by "and a half" — or, as Whisper writes "one
            // hundred and eighty", "100 and 80".
            if v >= 100.0
                && v % 100.0 == 0.0
                && words.get(1) == Some(&"and")
                && let Some(rest) = parse(&words[2..]).filter(|r| r.value < 100.0)
            {
                return Some(Parsed {
                    value: v + rest.value,
                    words: 2 + rest.words,
                });
            }
            return Some(and_a_fraction(Parsed { value: v, words: 1 }, &words[1..]));
        }
        if let Some(u) = unit(word) {
            // "twenty eight": a unit after tens adds; two units in a row end the number.
            if any && !current.is_multiple_of(10) {
                break;
            }
            current += u64::from(u);
            any = true;
        } else if let Some(t) = tens(word) {
            if any && !current.is_multiple_of(100) {
                break;
            }
            current += u64::from(t);
            any = true;
        } else if word == "hundred" && any {
            current = current.max(1) * 100;
        } else if word == "thousand" && any {
            total += current.max(1) * 1000;
            current = 0;
        } else if word == "and" && any {
            // "one hundred and five", "two and a half": only if a number part follows.
            let next = words.get(i + 1).copied().unwrap_or("");
            let number_follows =
                !matches!(next, "a" | "an") && (unit(next).is_some() || tens(next).is_some());
            if !number_follows {
                break;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !any {
        return None;
    }
    let mut value = (total + current) as f64;
    let mut used = i;
    // "point" and digits: "thirty nine point two", "zero point five".
    if words.get(used) == Some(&"point") {
        let mut decimals = String::new();
        let mut j = used + 1;
        while let Some(d) = words.get(j).and_then(|w| unit(w)).filter(|d| *d < 10) {
            decimals.push(char::from(b'0' + d as u8));
            j += 1;
        }
        if !decimals.is_empty() {
            value += format!("0.{decimals}").parse::<f64>().unwrap_or(0.0);
            used = j;
        }
    }
    Some(and_a_fraction(
        Parsed { value, words: used },
        &words[used..],
    ))
}

/// "two and a half": a whole number followed by "and a half/quarter".
fn and_a_fraction(parsed: Parsed, rest: &[&str]) -> Parsed {
    match rest {
        ["and", "a" | "an", f, ..] => match fraction(f) {
            Some(frac) => Parsed {
                value: parsed.value + frac,
                words: parsed.words + 3,
            },
            None => parsed,
        },
        _ => parsed,
    }
}

/// Writes `value` briefly: no trailing ".0", at most three decimals.
pub fn format(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

/// Lowercase words of `text`: punctuation dropped (a decimal point inside a number is
/// kept), hyphens split ("four-year-old" → "four year old").
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '-' || c == '/')
        .map(|w| {
            let kept: String = w
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '.' || *c == '%')
                .collect();
            kept.trim_matches('.').to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// `text` as lowercase words with every number in digits.
pub fn normalise(text: &str) -> Vec<String> {
    let words = words(text);
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut out = Vec::with_capacity(refs.len());
    let mut i = 0;
    while i < refs.len() {
        match parse(&refs[i..]) {
            Some(p) if p.words > 0 => {
                out.push(format(p.value));
                i += p.words;
            }
            _ => {
                out.push(refs[i].to_string());
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<(f64, usize)> {
        let w = words(text);
        let refs: Vec<&str> = w.iter().map(String::as_str).collect();
        parse(&refs).map(|p| (p.value, p.words))
    }

    #[test]
    fn spoken_numbers_case_table() {
        let cases: &[(&str, Option<(f64, usize)>)] = &[
            ("twenty eight kilograms", Some((28.0, 2))),
            ("twenty-eight kg", Some((28.0, 2))),
            ("thirty nine point two degrees", Some((39.2, 4))),
            ("zero point five milligrams", Some((0.5, 3))),
            ("one hundred and five", Some((105.0, 4))),
            ("a hundred beats", Some((100.0, 2))),
            ("two thousand three hundred", Some((2300.0, 4))),
            ("two and a half tablets", Some((2.5, 4))),
            ("a half tablet", Some((0.5, 2))),
            ("ten days", Some((10.0, 1))),
            ("nineteen", Some((19.0, 1))),
            ("28 kilograms", Some((28.0, 1))),
            ("2.5 mg", Some((2.5, 1))),
            ("1,200 ml", Some((1200.0, 1))),
            ("100 and 80", Some((180.0, 3))),
            ("100 and 2.5 degrees", Some((102.5, 3))),
            ("100 and then", Some((100.0, 1))),
            ("a dog", None),
            ("and then", None),
            ("kilograms", None),
        ];
        for (text, want) in cases {
            assert_eq!(read(text), *want, "{text}");
        }
    }

    #[test]
    fn two_units_in_a_row_are_two_numbers() {
        // "one two" is not twelve; "twenty thirty" is not fifty.
        assert_eq!(read("one two"), Some((1.0, 1)));
        assert_eq!(read("twenty thirty"), Some((20.0, 1)));
    }

    #[test]
    fn normalising_makes_spoken_and_written_numbers_equal() {
        assert_eq!(
            normalise("She weighs twenty-eight kilograms, a four-year-old."),
            normalise("she weighs 28 kilograms a 4 year old")
        );
        assert_eq!(
            normalise("Temperature thirty nine point two."),
            ["temperature", "39.2"]
        );
        assert_eq!(format(2.0), "2");
        assert_eq!(format(0.25), "0.25");
    }
}
