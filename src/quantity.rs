//! Kubernetes resource quantities (`50m`, `1.1G`, `1Gi`, `1e3`) as numbers.
//!
//! Parsed exactly (as a decimal mantissa times a power of 10 or 2) so that byte
//! counts such as `1.1G` → 1,100,000,000 carry no floating-point error.

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
}
