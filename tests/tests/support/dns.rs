//! A small authoritative DNS server on a loopback UDP port that answers TXT queries from a
//! table the test controls, so that domain verification runs through a real DNS query.
//!
//! It understands standard queries with one question (RFC 1035, section 4.1) and answers
//! TXT records for known names, an empty NOERROR answer for other types, and NXDOMAIN for
//! unknown names. It runs on a thread until dropped.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TYPE_TXT: u16 = 16;
const CLASS_IN: u16 = 1;

/// The test's DNS server.
pub struct DnsServer {
    pub address: SocketAddr,
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
    stop: Arc<AtomicBool>,
    queries: Arc<Mutex<Vec<String>>>,
}

impl DnsServer {
    /// Binds a free loopback port and starts answering.
    pub fn start() -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .unwrap_or_else(|error| panic!("binding the DNS socket failed: {error}"));
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap_or_else(|error| panic!("{error}"));
        let address = socket
            .local_addr()
            .unwrap_or_else(|error| panic!("{error}"));
        let records: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let queries: Arc<Mutex<Vec<String>>> = Arc::default();
        {
            let (records, stop, queries) = (
                Arc::clone(&records),
                Arc::clone(&stop),
                Arc::clone(&queries),
            );
            std::thread::spawn(move || serve(&socket, &records, &stop, &queries));
        }
        DnsServer {
            address,
            records,
            stop,
            queries,
        }
    }

    /// Publishes a TXT record (names are compared case-insensitively).
    pub fn publish_txt(&self, name: &str, value: &str) {
        let mut records = self
            .records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        records
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(value.to_owned());
    }

    /// Returns the names queried so far.
    pub fn queries(&self) -> Vec<String> {
        self.queries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(
    socket: &UdpSocket,
    records: &Mutex<HashMap<String, Vec<String>>>,
    stop: &AtomicBool,
    queries: &Mutex<Vec<String>>,
) {
    let mut buffer = [0u8; 1500];
    while !stop.load(Ordering::Relaxed) {
        let Ok((length, peer)) = socket.recv_from(&mut buffer) else {
            continue;
        };
        let Some(query) = parse_query(&buffer[..length]) else {
            continue;
        };
        queries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(query.name.clone());
        let answers = records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&query.name.to_ascii_lowercase())
            .cloned();
        let response = build_response(&buffer[..length], &query, answers.as_deref());
        let _ = socket.send_to(&response, peer);
    }
}

struct Query {
    name: String,
    qtype: u16,
    /// Byte length of header plus question, which the response repeats.
    question_end: usize,
}

fn parse_query(packet: &[u8]) -> Option<Query> {
    if packet.len() < 12 || u16::from_be_bytes([packet[4], packet[5]]) != 1 {
        return None;
    }
    let mut labels = Vec::new();
    let mut position = 12;
    loop {
        let length = usize::from(*packet.get(position)?);
        position += 1;
        if length == 0 {
            break;
        }
        if length > 63 {
            return None;
        }
        let label = packet.get(position..position + length)?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        position += length;
    }
    let qtype = u16::from_be_bytes([*packet.get(position)?, *packet.get(position + 1)?]);
    Some(Query {
        name: labels.join("."),
        qtype,
        question_end: position + 4,
    })
}

fn build_response(request: &[u8], query: &Query, answers: Option<&[String]>) -> Vec<u8> {
    let mut response = request[..query.question_end].to_vec();
    // Flags: response, authoritative answer, recursion desired copied, recursion available.
    let recursion_desired = request[2] & 0x01;
    response[2] = 0x84 | recursion_desired;
    let records: &[String] = match answers {
        Some(values) if query.qtype == TYPE_TXT => values,
        _ => &[],
    };
    response[3] = if answers.is_none() { 0x83 } else { 0x80 };
    response[6..8].copy_from_slice(&(records.len() as u16).to_be_bytes());
    response[8..12].copy_from_slice(&[0, 0, 0, 0]);
    for value in records {
        // The name is a pointer to the question's name at offset 12.
        response.extend_from_slice(&[0xC0, 0x0C]);
        response.extend_from_slice(&TYPE_TXT.to_be_bytes());
        response.extend_from_slice(&CLASS_IN.to_be_bytes());
        response.extend_from_slice(&60u32.to_be_bytes());
        let mut data = Vec::new();
        for chunk in value.as_bytes().chunks(255) {
            data.push(chunk.len() as u8);
            data.extend_from_slice(chunk);
        }
        response.extend_from_slice(&(data.len() as u16).to_be_bytes());
        response.extend_from_slice(&data);
    }
    response
}
