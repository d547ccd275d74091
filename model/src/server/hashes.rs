//! Hash commands: HSET HGET HMGET HDEL HEXISTS HLEN HINCRBY HSETNX HGETALL.
//!
//! A small hash is a listpack in Redis: fields keep their insertion order (an update keeps a
//! field's place, HDEL closes the gap), and HGETALL walks that order. The model keeps that
//! order, so it matches a real server while hashes stay under `hash-max-listpack-entries`
//! (128) and values under 64 bytes, which every generated program does; larger hashes become
//! hash tables in Redis, with an order the model does not reproduce.

use super::{parse_int, Entry, Server, Value, WRONGTYPE};
use crate::reply::Reply;

/// A hash: (field, value) pairs in insertion order, fields unique.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(Vec<(String, String)>);

impl Hash {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a field (in place if present, appended if new); whether it was new.
    pub fn set(&mut self, field: &str, value: &str) -> bool {
        match self.0.iter_mut().find(|(f, _)| f == field) {
            Some((_, v)) => {
                *v = value.to_string();
                false
            }
            None => {
                self.0.push((field.to_string(), value.to_string()));
                true
            }
        }
    }

    pub fn remove(&mut self, field: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|(f, _)| f != field);
        self.0.len() != before
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, v)| (f.as_str(), v.as_str()))
    }

    /// The hash with every field and value renamed by `f`.
    pub fn renamed(&self, f: &dyn Fn(&String) -> String) -> Hash {
        Hash(self.0.iter().map(|(k, v)| (f(k), f(v))).collect())
    }

    /// `{f: "v", g: "w"}` in field order.
    pub fn describe(&self) -> String {
        let items: Vec<String> = self.iter().map(|(f, v)| format!("{f:?}: {v:?}")).collect();
        format!("{{{}}}", items.join(", "))
    }
}

impl FromIterator<(String, String)> for Hash {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut h = Hash::default();
        for (f, v) in iter {
            h.set(&f, &v);
        }
        h
    }
}

impl Server {
    fn read_hash(&self, key: &str) -> Result<Option<&Hash>, Reply> {
        match self.keys.get(key) {
            None => Ok(None),
            Some(Entry {
                value: Value::Hash(h),
                ..
            }) => Ok(Some(h)),
            Some(_) => Err(Reply::err(WRONGTYPE)),
        }
    }

    /// The hash at `key` for writing, created empty if absent (the caller checked the type).
    fn hash_mut(&mut self, key: &str) -> &mut Hash {
        let e = self.keys.get_or_insert_with(key, || Entry {
            value: Value::Hash(Hash::default()),
            expires_at: None,
        });
        match &mut e.value {
            Value::Hash(h) => h,
            _ => unreachable!("type checked by the caller"),
        }
    }

    /// HSET key field value [field value ...]: the number of new fields.
    pub(super) fn hset(&mut self, a: &[String]) -> Reply {
        if a.len().is_multiple_of(2) {
            return Reply::err("ERR wrong number of arguments for 'hset' command");
        }
        if let Err(e) = self.read_hash(&a[0]) {
            return e;
        }
        let h = self.hash_mut(&a[0]);
        let added = a[1..].chunks(2).filter(|p| h.set(&p[0], &p[1])).count();
        self.touch(&a[0]);
        Reply::Int(added as i64)
    }

    pub(super) fn hsetnx(&mut self, key: &str, field: &str, value: &str) -> Reply {
        match self.read_hash(key) {
            Err(e) => return e,
            Ok(Some(h)) if h.get(field).is_some() => return Reply::Int(0),
            Ok(_) => {}
        }
        self.hash_mut(key).set(field, value);
        self.touch(key);
        Reply::Int(1)
    }

    pub(super) fn hget(&self, key: &str, field: &str) -> Reply {
        match self.read_hash(key) {
            Err(e) => e,
            Ok(h) => h.and_then(|h| h.get(field)).map_or(Reply::Nil, Reply::bulk),
        }
    }

    pub(super) fn hmget(&self, key: &str, fields: &[String]) -> Reply {
        match self.read_hash(key) {
            Err(e) => e,
            Ok(h) => Reply::Array(
                fields
                    .iter()
                    .map(|f| h.and_then(|h| h.get(f)).map_or(Reply::Nil, Reply::bulk))
                    .collect(),
            ),
        }
    }

    pub(super) fn hdel(&mut self, key: &str, fields: &[String]) -> Reply {
        match self.read_hash(key) {
            Err(e) => return e,
            Ok(None) => return Reply::Int(0),
            Ok(Some(_)) => {}
        }
        let h = self.hash_mut(key);
        let removed = fields.iter().filter(|f| h.remove(f)).count();
        if h.is_empty() {
            self.keys.remove(key);
        }
        if removed > 0 {
            self.touch(key);
        }
        Reply::Int(removed as i64)
    }

    pub(super) fn hexists(&self, key: &str, field: &str) -> Reply {
        match self.read_hash(key) {
            Err(e) => e,
            Ok(h) => Reply::Int(h.is_some_and(|h| h.get(field).is_some()) as i64),
        }
    }

    pub(super) fn hlen(&self, key: &str) -> Reply {
        match self.read_hash(key) {
            Err(e) => e,
            Ok(h) => Reply::Int(h.map_or(0, |h| h.len() as i64)),
        }
    }

    pub(super) fn hgetall(&self, key: &str) -> Reply {
        match self.read_hash(key) {
            Err(e) => e,
            Ok(h) => Reply::Array(
                h.into_iter()
                    .flat_map(|h| h.iter())
                    .flat_map(|(f, v)| [Reply::bulk(f), Reply::bulk(v)])
                    .collect(),
            ),
        }
    }

    /// HINCRBY key field increment: the increment is parsed first, then the type, then the
    /// field's value ("hash value is not an integer").
    pub(super) fn hincrby(&mut self, key: &str, field: &str, by: &str) -> Reply {
        let by = match parse_int(by) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let current = match self.read_hash(key) {
            Err(e) => return e,
            Ok(h) => h.and_then(|h| h.get(field)),
        };
        let current = match current.map(parse_int) {
            None => 0,
            Some(Ok(n)) => n,
            Some(Err(_)) => return Reply::err("ERR hash value is not an integer"),
        };
        let Some(new) = current.checked_add(by) else {
            return Reply::err("ERR increment or decrement would overflow");
        };
        self.hash_mut(key).set(field, &new.to_string());
        self.touch(key);
        Reply::Int(new)
    }
}
