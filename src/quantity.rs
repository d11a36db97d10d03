//! Kubernetes resource quantities (`50m`, `1.1G`, `1Gi`, `1e3`) as numbers.
//!
//! Parsed exactly (as a decimal mantissa times a power of 10 or 2) so that byte
//! counts such as `1.1G` → 1,100,000,000 carry no floating-point error.
//!
//! [`canonical`] writes a quantity the way the API server stores it (the
//! `resource.Quantity` rules), so committed manifests never differ from the
//! live objects by spelling alone: `0.2` → `200m`, `1.1G` → `1100M`,
//! `1.5Gi` → `1536Mi`.

/// A parsed quantity: `mantissa × 10^exp10 × 2^exp2`, mantissa an integer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    mantissa: i128,
    exp10: i32,
    exp2: i32,
}

impl Quantity {
    pub fn parse(text: &str) -> Option<Quantity> {
        let text = text.trim();
        let split =
            text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-')).unwrap_or(text.len());
        let (number, suffix) = text.split_at(split);
        let (mut mantissa, mut exp10) = parse_decimal(number)?;
        let mut exp2 = 0;
        match suffix {
            "" => {}
            "n" => exp10 -= 9,
            "u" => exp10 -= 6,
            "m" => exp10 -= 3,
            "k" => exp10 += 3,
            "M" => exp10 += 6,
            "G" => exp10 += 9,
            "T" => exp10 += 12,
            "P" => exp10 += 15,
            "E" => exp10 += 18,
            "Ki" => exp2 = 10,
            "Mi" => exp2 = 20,
            "Gi" => exp2 = 30,
            "Ti" => exp2 = 40,
            "Pi" => exp2 = 50,
            "Ei" => exp2 = 60,
            s if s.starts_with(['e', 'E']) => exp10 += s[1..].parse::<i32>().ok()?,
            _ => return None,
        }
        if mantissa == 0 {
            exp10 = 0;
        }
        while exp10 < 0 && mantissa % 10 == 0 && mantissa != 0 {
            mantissa /= 10;
            exp10 += 1;
        }
        Some(Quantity { mantissa, exp10, exp2 })
    }

    pub fn as_f64(&self) -> f64 {
        self.mantissa as f64 * 10f64.powi(self.exp10) * 2f64.powi(self.exp2)
    }

    /// The value rounded up to an integer (Kubernetes `Value()`), saturating.
    pub fn ceil_i64(&self) -> i64 {
        let mut v = self.mantissa;
        let mut e10 = self.exp10;
        let mut e2 = self.exp2;
        while e2 > 0 {
            v = v.saturating_mul(2);
            e2 -= 1;
        }
        while e10 > 0 {
            v = v.saturating_mul(10);
            e10 -= 1;
        }
        if e10 < 0 {
            let div = 10i128.saturating_pow((-e10) as u32);
            v = (v + div - 1).div_euclid(div);
        }
        v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// Thousandths, rounded up (Kubernetes `MilliValue()`).
    pub fn milli(&self) -> i64 {
        Quantity { exp10: self.exp10 + 3, ..*self }.ceil_i64()
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }
}

/// The canonical text of a quantity (Kubernetes `Quantity.String()`), or
/// `None` for one that does not parse or does not fit.
///
/// The suffix chooses the format: binary (`Ki`…`Ei`) stays binary for whole
/// values of at least 1024, else becomes decimal; decimal takes the largest
/// exponent (a multiple of 3) that keeps the mantissa whole; exponent form
/// (`12e6`) stays exponent form. Precision below a nano is rounded up.
pub fn canonical(text: &str) -> Option<String> {
    let text = text.trim();
    let q = Quantity::parse(text)?;
    let suffix = text.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.'));
    let exponent_form = suffix.starts_with(['e', 'E']);
    let mut mantissa = q.mantissa.checked_mul(1i128.checked_shl(u32::try_from(q.exp2).ok()?)?)?;
    let mut exp = q.exp10;
    if exp < -9 {
        let div = 10i128.checked_pow(u32::try_from(-9 - exp).ok()?)?;
        mantissa = mantissa / div + i128::from(mantissa % div != 0) * mantissa.signum();
        exp = -9;
    }
    if suffix.ends_with('i')
        && let Some(whole) = whole(mantissa, exp).filter(|w| w.abs() >= 1024)
    {
        return Some(base_1024(whole));
    }
    if mantissa == 0 {
        return Some("0".into());
    }
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exp += 1;
    }
    let lower = exp.rem_euclid(3);
    mantissa = mantissa.checked_mul(10i128.pow(lower as u32))?;
    exp -= lower;
    let suffix = match (exponent_form, exp) {
        (_, 0) => String::new(),
        (true, e) => format!("e{e}"),
        (false, e) => match e {
            3 => "k".into(),
            6 => "M".into(),
            9 => "G".into(),
            12 => "T".into(),
            15 => "P".into(),
            18 => "E".into(),
            -3 => "m".into(),
            -6 => "u".into(),
            -9 => "n".into(),
            e => format!("e{e}"),
        },
    };
    Some(format!("{mantissa}{suffix}"))
}

/// `mantissa × 10^exp` as an integer, when it is one.
fn whole(mantissa: i128, exp: i32) -> Option<i128> {
    let scale = 10i128.checked_pow(exp.unsigned_abs())?;
    match exp {
        e if e >= 0 => mantissa.checked_mul(scale),
        _ => (mantissa % scale == 0).then(|| mantissa / scale),
    }
}

/// A whole value in the largest binary unit that divides it.
fn base_1024(mut value: i128) -> String {
    const UNITS: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let mut unit = 0;
    while unit < 6 && value % 1024 == 0 {
        value /= 1024;
        unit += 1;
    }
    format!("{value}{}", UNITS[unit])
}

fn parse_decimal(s: &str) -> Option<(i128, i32)> {
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) || int.len() + frac.len() > 30 {
        return None;
    }
    let all = format!("{int}{frac}");
    let mantissa: i128 = if all.is_empty() { 0 } else { all.parse().ok()? };
    Some((sign * mantissa, -(frac.len() as i32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        assert_eq!(Quantity::parse("50m").unwrap().as_f64(), 0.05);
        assert_eq!(Quantity::parse("1.1G").unwrap().ceil_i64(), 1_100_000_000);
        assert_eq!(Quantity::parse("1Gi").unwrap().ceil_i64(), 1 << 30);
        assert_eq!(Quantity::parse("1000Mi").unwrap().ceil_i64(), 1000 << 20);
        assert_eq!(Quantity::parse("0.2").unwrap().milli(), 200);
        assert_eq!(Quantity::parse("1e3").unwrap().ceil_i64(), 1000);
        assert_eq!(Quantity::parse("50m").unwrap().ceil_i64(), 1);
        assert!(Quantity::parse("abc").is_none());
        assert!(Quantity::parse("1Zi").is_none());
    }

    /// Cases from the API machinery's own documentation and tests
    /// (`resource.Quantity`, `quantity_test.go`).
    #[test]
    fn canonical_forms_are_the_api_servers() {
        let cases = [
            ("0.1", "100m"),
            ("0.2", "200m"),
            ("1.5", "1500m"),
            ("1.1G", "1100M"),
            ("1000", "1k"),
            ("1024", "1024"),
            ("1000m", "1"),
            ("5000000n", "5m"),
            ("0.0001", "100u"),
            ("1000k", "1M"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Gi", "512Mi"),
            ("0.5Ki", "512"),
            ("1536Ki", "1536Ki"),
            ("1.1Gi", "1181116006400m"),
            ("12e6", "12e6"),
            ("1e3", "1e3"),
            ("1.5e3", "1500"),
            ("1E3", "1e3"),
            ("0", "0"),
            ("0Gi", "0"),
            ("-1", "-1"),
            ("1.0000000001", "1000000001n"),
            ("100m", "100m"),
            ("1", "1"),
            ("20e21", "20e21"),
        ];
        for (input, want) in cases {
            assert_eq!(canonical(input).as_deref(), Some(want), "{input}");
            assert_eq!(canonical(want).as_deref(), Some(want), "{want} is a fixpoint");
        }
        assert_eq!(canonical("abc"), None);
    }
}
