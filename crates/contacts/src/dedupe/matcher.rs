//! The duplicate finder: blocking keys propose pairs, a scorer keeps the likely ones with
//! their reasons, and connected pairs form groups. Pure, so it is tested on the public
//! dedupe datasets without a database.

use std::collections::HashMap;

use strsim::jaro_winkler;

/// What the finder compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Contact,
    Company,
}

/// A record as the finder sees it.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub domain: Option<String>,
    /// (street line, city, postal code)
    pub addresses: Vec<(String, String, String)>,
    /// Companies a contact is linked to.
    pub companies: Vec<String>,
}

/// A candidate with its comparison keys worked out once.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: String,
    name_key: String,
    name_tokens: Vec<String>,
    emails: Vec<String>,
    canonical_emails: Vec<String>,
    /// The last ten digits (seven for local numbers): numbers written with and without a
    /// country or area code still meet.
    phones: Vec<String>,
    /// The record's domain and its e-mails' domains, but not free-mail ones.
    domains: Vec<String>,
    streets: Vec<String>,
    street_keys: Vec<String>,
    places: Vec<String>,
    companies: Vec<String>,
}

/// A pair judged to be the same, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    pub score: f64,
    pub reasons: Vec<&'static str>,
}

/// Blocks bigger than this say too little to be compared pairwise (a common first name).
const MAX_BLOCK: usize = 100;

const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "msn.com",
    "gmx.com",
    "gmx.de",
    "web.de",
    "proton.me",
    "protonmail.com",
    "yandex.ru",
    "mail.ru",
];

const NAME_NOISE: &[&str] =
    &["the", "inc", "llc", "ltd", "co", "corp", "company", "and", "of", "a", "at", "gmbh", "sa"];

const STREET_WORDS: &[(&str, &str)] = &[
    ("street", "st"),
    ("avenue", "ave"),
    ("av", "ave"),
    ("boulevard", "blvd"),
    ("blv", "blvd"),
    ("road", "rd"),
    ("drive", "dr"),
    ("place", "pl"),
    ("lane", "ln"),
    ("court", "ct"),
    ("parkway", "pkwy"),
    ("highway", "hwy"),
    ("square", "sq"),
    ("north", "n"),
    ("south", "s"),
    ("east", "e"),
    ("west", "w"),
    ("first", "1st"),
    ("second", "2nd"),
    ("third", "3rd"),
    ("fourth", "4th"),
    ("fifth", "5th"),
    ("sixth", "6th"),
    ("seventh", "7th"),
    ("eighth", "8th"),
    ("ninth", "9th"),
    ("tenth", "10th"),
];

/// A name without what is in parentheses (a branch or city: `spago (los angeles)`).
fn without_parentheses(name: &str) -> String {
    let mut depth = 0usize;
    name.chars()
        .filter(|c| match c {
            '(' => {
                depth += 1;
                false
            }
            ')' => {
                depth = depth.saturating_sub(1);
                false
            }
            _ => depth == 0,
        })
        .collect()
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace('\'', "")
        .replace('&', " and ")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn street(line: &str) -> String {
    let mut out = Vec::new();
    for w in words(line) {
        if matches!(w.as_str(), "suite" | "ste" | "unit" | "apt" | "floor" | "fl") {
            break;
        }
        let w = STREET_WORDS.iter().find(|(long, _)| *long == w).map(|(_, short)| short.to_string()).unwrap_or(w);
        out.push(w);
    }
    out.join(" ")
}

/// The house number and first street word that is not a direction: `435 s la cienega blvd` → `435 la`.
fn street_key(street: &str) -> Option<String> {
    let mut parts = street.split(' ');
    let number = parts.next().filter(|n| n.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let name = parts.find(|w| !matches!(*w, "n" | "s" | "e" | "w"))?;
    Some(format!("{number} {name}"))
}

fn canonical_email(email: &str) -> String {
    let Some((local, domain)) = email.split_once('@') else { return email.to_string() };
    let local = local.split('+').next().unwrap_or(local);
    let local =
        if matches!(domain, "gmail.com" | "googlemail.com") { local.replace('.', "") } else { local.to_string() };
    format!("{local}@{domain}")
}

fn phone_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        0..=6 => None,
        7..=10 => Some(digits),
        n => Some(digits[n - 10..].to_string()),
    }
}

fn same_phone(a: &str, b: &str) -> bool {
    a == b || (a.len() != b.len() && (a.ends_with(b) || b.ends_with(a)) && a.len().min(b.len()) >= 7)
}

impl Prepared {
    pub fn new(c: &Candidate) -> Prepared {
        let name_tokens: Vec<String> =
            words(&without_parentheses(&c.name)).into_iter().filter(|w| !NAME_NOISE.contains(&w.as_str())).collect();
        let mut sorted = name_tokens.clone();
        sorted.sort();
        let emails: Vec<String> = c.emails.iter().map(|e| e.trim().to_lowercase()).collect();
        let mut domains: Vec<String> = c.domain.iter().map(|d| d.to_lowercase()).collect();
        for email in &emails {
            if let Some((_, d)) = email.split_once('@')
                && !FREE_MAIL.contains(&d)
                && !domains.iter().any(|x| x == d)
            {
                domains.push(d.to_string());
            }
        }
        let streets: Vec<String> =
            c.addresses.iter().map(|(line, _, _)| street(line)).filter(|s| !s.is_empty()).collect();
        Prepared {
            id: c.id.clone(),
            name_key: sorted.join(" "),
            canonical_emails: emails.iter().map(|e| canonical_email(e)).collect(),
            emails,
            phones: c.phones.iter().filter_map(|p| phone_key(p)).collect(),
            domains,
            street_keys: streets.iter().filter_map(|s| street_key(s)).collect(),
            streets,
            places: c
                .addresses
                .iter()
                .flat_map(|(_, city, zip)| [words(city).join(" "), zip.trim().chars().take(5).collect()])
                .filter(|p| !p.is_empty())
                .collect(),
            companies: c.companies.clone(),
            name_tokens,
        }
    }

    /// The blocks the record falls in: only records sharing a block are compared.
    fn blocks(&self, kind: Kind) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(self.emails.iter().map(|e| format!("e:{e}")));
        keys.extend(self.canonical_emails.iter().map(|e| format!("c:{e}")));
        keys.extend(self.phones.iter().map(|p| format!("p:{}", &p[p.len() - 7..])));
        keys.extend(self.street_keys.iter().map(|s| format!("a:{s}")));
        match kind {
            Kind::Company => {
                keys.extend(self.domains.iter().map(|d| format!("d:{d}")));
                if let Some(first) = self.name_tokens.first() {
                    keys.push(format!("n:{first}"));
                }
                if !self.name_key.is_empty() {
                    keys.push(format!("k:{}", self.name_key));
                }
            }
            Kind::Contact => {
                // A name alone is common: it blocks only together with a company or e-mail domain.
                if !self.name_key.is_empty() {
                    keys.extend(self.companies.iter().map(|c| format!("nc:{}|{c}", self.name_key)));
                    keys.extend(self.domains.iter().map(|d| format!("nd:{}|{d}", self.name_key)));
                    if let Some(last) = self.name_tokens.last() {
                        keys.extend(self.companies.iter().map(|c| format!("lc:{last}|{c}")));
                    }
                }
            }
        }
        keys.sort();
        keys.dedup();
        keys
    }
}

/// How alike two names are, 0–1: the better of string similarity and word overlap (where a
/// word may be an abbreviation of the other: `deli` / `delicatessen`).
fn name_similarity(a: &Prepared, b: &Prepared) -> f64 {
    if a.name_tokens.is_empty() || b.name_tokens.is_empty() {
        return 0.0;
    }
    if a.name_key == b.name_key {
        return 1.0;
    }
    // Below 0.9 the string measure says little (unrelated names score 0.5–0.7).
    let string = jaro_winkler(&a.name_tokens.join(" "), &b.name_tokens.join(" "));
    let string = if string >= 0.9 { string } else { 0.0 };
    let (short, long) = if a.name_tokens.len() <= b.name_tokens.len() {
        (&a.name_tokens, &b.name_tokens)
    } else {
        (&b.name_tokens, &a.name_tokens)
    };
    let shared = short
        .iter()
        .filter(|w| {
            long.iter().any(|v| {
                v == *w || (w.len() >= 3 && v.starts_with(w.as_str())) || (v.len() >= 3 && w.starts_with(v.as_str()))
            })
        })
        .count();
    // One name wholly inside the other (`lulu` / `lulu restaurant bis cafe`) counts as alike.
    let overlap = if shared == short.len() { 1.0 } else { shared as f64 / long.len() as f64 };
    string.max(overlap)
}

fn any_shared(a: &[String], b: &[String]) -> bool {
    a.iter().any(|x| b.contains(x))
}

/// Whether `a` and `b` look like the same record, how surely (0–1), and why.
pub fn score(a: &Prepared, b: &Prepared, kind: Kind) -> Option<(f64, Vec<&'static str>)> {
    let mut reasons = Vec::new();
    let mut best: f64 = 0.0;
    let mut hit = |score: f64, reason: &'static str, reasons: &mut Vec<&'static str>| {
        best = best.max(score);
        reasons.push(reason);
    };
    let names = name_similarity(a, b);
    let same_place = any_shared(&a.places, &b.places);
    let same_street = any_shared(&a.street_keys, &b.street_keys) || any_shared(&a.streets, &b.streets);
    // Two known, different addresses: sites of one organization, or two people sharing a phone.
    let elsewhere = !a.streets.is_empty() && !b.streets.is_empty() && !same_street;
    if any_shared(&a.emails, &b.emails) {
        hit(0.99, "same_email", &mut reasons);
    } else if any_shared(&a.canonical_emails, &b.canonical_emails) {
        hit(0.9, "similar_email", &mut reasons);
    }
    if a.phones.iter().any(|p| b.phones.iter().any(|q| same_phone(p, q))) {
        let surely = if elsewhere || (kind == Kind::Contact && names < 0.6) { 0.7 } else { 0.9 };
        hit(surely, "same_phone", &mut reasons);
    }
    match kind {
        Kind::Company => {
            if any_shared(&a.domains, &b.domains) {
                hit(if elsewhere { 0.7 } else { 0.95 }, "same_domain", &mut reasons);
            }
            if same_street && names >= 0.6 {
                hit(0.9, "similar_name_same_address", &mut reasons);
            } else if same_street {
                hit(0.7, "same_address", &mut reasons);
            }
            let same_name = !a.name_key.is_empty() && a.name_key == b.name_key;
            if !elsewhere && same_name && (same_place || a.places.is_empty() || b.places.is_empty()) {
                hit(0.85, "same_name", &mut reasons);
            } else if !elsewhere && names >= 0.9 && same_place {
                hit(0.8, "similar_name_same_city", &mut reasons);
            }
        }
        Kind::Contact => {
            let same_company = any_shared(&a.companies, &b.companies) || any_shared(&a.domains, &b.domains);
            if names >= 0.9 && same_company {
                hit(0.85, "similar_name_same_company", &mut reasons);
            }
            if !a.name_key.is_empty() && a.name_key == b.name_key && same_street {
                hit(0.8, "same_name_same_address", &mut reasons);
            }
        }
    }
    (best > 0.0).then_some((best, reasons))
}

/// Every pair scoring at least `threshold`, each once, `a < b`.
pub fn pairs(records: &[Prepared], kind: Kind, threshold: f64) -> Vec<Pair> {
    let mut blocks: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, record) in records.iter().enumerate() {
        for key in record.blocks(kind) {
            blocks.entry(key).or_default().push(i);
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for members in blocks.values().filter(|m| m.len() > 1 && m.len() <= MAX_BLOCK) {
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                let (a, b) = (a.min(b), a.max(b));
                if a == b || !seen.insert((a, b)) {
                    continue;
                }
                if let Some((score, reasons)) = score(&records[a], &records[b], kind)
                    && score >= threshold
                {
                    out.push(Pair { a, b, score, reasons });
                }
            }
        }
    }
    out.sort_by_key(|x| (x.a, x.b));
    out
}

/// Connected records, as lists of indexes (each sorted), biggest first.
pub fn groups(count: usize, pairs: &[Pair]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..count).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for pair in pairs {
        let (ra, rb) = (root(&mut parent, pair.a), root(&mut parent, pair.b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..count {
        let r = root(&mut parent, i);
        by_root.entry(r).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = by_root.into_values().filter(|g| g.len() > 1).collect();
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company(id: &str, name: &str, street: &str, city: &str) -> Prepared {
        Prepared::new(&Candidate {
            id: id.into(),
            name: name.into(),
            addresses: vec![(street.into(), city.into(), String::new())],
            ..Default::default()
        })
    }

    #[test]
    fn restaurants_that_are_the_same() {
        let a = company("1", "arnie morton's of chicago", "435 s. la cienega blv.", "los angeles");
        let b = company("2", "arnie morton's of chicago", "435 s. la cienega blvd.", "los angeles");
        let c = company("3", "art's deli", "12224 ventura blvd.", "studio city");
        let d = company("4", "art's delicatessen", "12224 ventura blvd.", "studio city");
        assert!(score(&a, &b, Kind::Company).is_some_and(|(s, _)| s >= 0.9));
        assert!(score(&c, &d, Kind::Company).is_some_and(|(s, _)| s >= 0.8));
        assert!(score(&a, &c, Kind::Company).is_none());
        let found = pairs(&[a, b, c, d], Kind::Company, 0.8);
        assert_eq!(found.iter().map(|p| (p.a, p.b)).collect::<Vec<_>>(), [(0, 1), (2, 3)]);
        assert_eq!(groups(4, &found), [vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn contacts_meet_on_email_phone_or_name_at_a_company() {
        let person = |id: &str, name: &str, email: &str, phone: &str, company: &str| {
            Prepared::new(&Candidate {
                id: id.into(),
                name: name.into(),
                emails: vec![email.into()].into_iter().filter(|e: &String| !e.is_empty()).collect(),
                phones: vec![phone.into()].into_iter().filter(|p: &String| !p.is_empty()).collect(),
                companies: vec![company.into()].into_iter().filter(|c: &String| !c.is_empty()).collect(),
                ..Default::default()
            })
        };
        let a = person("1", "John Smith", "john.smith@gmail.com", "", "");
        let b = person("2", "Johnny Smith", "johnsmith+crm@gmail.com", "", "");
        assert_eq!(score(&a, &b, Kind::Contact).unwrap().1, ["similar_email"]);
        let c = person("3", "Ada Lovelace", "", "+14155552671", "co_1");
        let d = person("4", "Ada Lovelace", "", "4155552671", "");
        assert_eq!(score(&c, &d, Kind::Contact).unwrap().1, ["same_phone"]);
        let e = person("5", "Ada Lovelace", "", "", "co_1");
        assert_eq!(score(&c, &e, Kind::Contact).unwrap().1, ["similar_name_same_company"]);
        let f = person("6", "Ada Lovelace", "", "", "co_2");
        assert!(score(&e, &f, Kind::Contact).is_none());
    }
}
