//! Syslog over a byte stream (TCP, TLS): RFC 6587's two framings, told apart per frame.
//! Octet counting (`LEN SP MSG`, RFC 5425's framing) when the frame starts with a digit,
//! LF-terminated lines otherwise (non-transparent framing, as `logger -T` without
//! `--octet-count` sends). A frame longer than the limit is skipped whole and reported, so
//! one sender cannot make the gateway buffer megabytes.

/// What the decoder found.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Message(Vec<u8>),
    /// A frame over the limit, skipped: its declared length, or for a line `max_frame + 1`
    /// (longer than the limit; how much longer is not known when it is skipped, and must not
    /// depend on how the stream was cut).
    TooLarge(usize),
    /// An octet count that is not a number: the stream is not syslog; the connection ends.
    Garbage,
}

/// Decodes frames from bytes as they arrive.
#[derive(Debug)]
pub struct Decoder {
    buffer: Vec<u8>,
    max_frame: usize,
    /// Bytes still to skip of an oversized counted frame.
    skipping: usize,
    /// Inside an oversized line: drop until its LF.
    skipping_line: bool,
    /// The stream sent garbage: nothing after it is read, however the bytes were cut.
    ended: bool,
}

impl Decoder {
    pub fn new(max_frame: usize) -> Decoder {
        Decoder {
            buffer: Vec::new(),
            max_frame,
            skipping: 0,
            skipping_line: false,
            ended: false,
        }
    }

    /// Adds received bytes and returns the frames they complete.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Frame>) {
        if self.ended {
            return;
        }
        let mut input = bytes;
        if self.skipping > 0 {
            let n = self.skipping.min(input.len());
            self.skipping -= n;
            input = &input[n..];
        }
        if self.skipping_line {
            match input.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    self.skipping_line = false;
                    input = &input[end + 1..];
                }
                None => return,
            }
        }
        self.buffer.extend_from_slice(input);
        // A frame found over the limit leaves the buffer empty when the rest of it is still
        // to come (the skip states above take it), so the loop ends with the buffer.
        while let Some(frame) = self.next_frame() {
            let garbage = frame == Frame::Garbage;
            out.push(frame);
            if garbage {
                self.buffer.clear();
                self.ended = true;
                return;
            }
        }
    }

    /// The next complete frame at the start of the buffer (consumed), if any.
    fn next_frame(&mut self) -> Option<Frame> {
        // Empty lines between frames are nothing.
        let blank = self
            .buffer
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .count();
        self.buffer.drain(..blank);
        let first = *self.buffer.first()?;
        if first.is_ascii_digit() {
            let space = self.buffer.iter().take(11).position(|&b| b == b' ');
            let Some(space) = space else {
                if self.buffer.len() >= 11 {
                    return Some(Frame::Garbage);
                }
                return None;
            };
            let count: Option<usize> = std::str::from_utf8(&self.buffer[..space])
                .ok()
                .and_then(|digits| digits.parse().ok());
            let Some(count) = count else {
                return Some(Frame::Garbage);
            };
            let start = space + 1;
            if count > self.max_frame {
                let have = self.buffer.len() - start;
                let skipped = have.min(count);
                self.skipping = count - skipped;
                self.buffer.drain(..start + skipped);
                return Some(Frame::TooLarge(count));
            }
            if self.buffer.len() - start < count {
                return None;
            }
            let frame = self.buffer[start..start + count].to_vec();
            self.buffer.drain(..start + count);
            return Some(Frame::Message(frame));
        }
        match self.buffer.iter().position(|&b| b == b'\n') {
            Some(end) if end <= self.max_frame => {
                let mut frame: Vec<u8> = self.buffer.drain(..=end).collect();
                frame.pop();
                if frame.last() == Some(&b'\r') {
                    frame.pop();
                }
                Some(Frame::Message(frame))
            }
            Some(end) => {
                self.buffer.drain(..=end);
                Some(Frame::TooLarge(self.max_frame + 1))
            }
            None if self.buffer.len() > self.max_frame => {
                self.buffer.clear();
                self.skipping_line = true;
                Some(Frame::TooLarge(self.max_frame + 1))
            }
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `syslog` fuzz target: an oversized line was reported with the bytes seen
    /// so far, which depended on how the stream was cut.
    #[test]
    fn an_oversized_line_is_reported_alike_however_the_stream_is_cut() {
        let mut stream = vec![b'a'; 600];
        stream.extend_from_slice(b"\nshort line\n");
        assert_eq!(
            framed_alike_at_every_cut(&stream),
            vec![Frame::TooLarge(513), Frame::Message(b"short line".to_vec())]
        );
    }

    /// The frames of `stream` decoded whole, after checking that every cut in two gives them.
    fn framed_alike_at_every_cut(stream: &[u8]) -> Vec<Frame> {
        let mut whole = Vec::new();
        Decoder::new(512).push(stream, &mut whole);
        for cut in 0..=stream.len() {
            let mut decoder = Decoder::new(512);
            let mut pieces = Vec::new();
            decoder.push(&stream[..cut], &mut pieces);
            decoder.push(&stream[cut..], &mut pieces);
            assert_eq!(pieces, whole, "cut at {cut}");
        }
        whole
    }

    /// Found by the `syslog` fuzz target: after garbage, bytes that came in a later read were
    /// still decoded, so the frames depended on how the stream was cut.
    #[test]
    fn nothing_is_read_after_garbage_however_the_stream_is_cut() {
        let stream = b"0<29>26-11xxxxxx0601 2036-rest of it";
        assert_eq!(framed_alike_at_every_cut(stream), vec![Frame::Garbage]);
    }

    fn frames(decoder: &mut Decoder, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.push(chunk, &mut out);
        }
        out
    }

    #[test]
    fn octet_counting_across_reads() {
        let mut decoder = Decoder::new(1024);
        let got = frames(&mut decoder, &[b"11 <13>1 hel", b"lo5 <1>1 ", b"2 ab"]);
        assert_eq!(
            got,
            [
                Frame::Message(b"<13>1 hello".to_vec()),
                Frame::Message(b"<1>1 ".to_vec()),
                Frame::Message(b"ab".to_vec())
            ]
        );
    }

    #[test]
    fn lines_with_and_without_cr() {
        let mut decoder = Decoder::new(1024);
        let got = frames(&mut decoder, &[b"<13>a\n<13>b\r\n\n<13>", b"c\n"]);
        assert_eq!(
            got,
            [
                Frame::Message(b"<13>a".to_vec()),
                Frame::Message(b"<13>b".to_vec()),
                Frame::Message(b"<13>c".to_vec())
            ]
        );
    }

    #[test]
    fn oversized_frames_are_skipped_without_buffering_them() {
        let mut decoder = Decoder::new(16);
        let big = vec![b'x'; 100];
        let mut counted = b"100 ".to_vec();
        counted.extend_from_slice(&big[..40]);
        let got = frames(&mut decoder, &[&counted, &big[40..], b"3 abc"]);
        assert_eq!(got, [Frame::TooLarge(100), Frame::Message(b"abc".to_vec())]);
        let mut decoder = Decoder::new(16);
        let got = frames(&mut decoder, &[b"<13>", &big, &big, b"\n<13>ok\n"]);
        assert_eq!(
            got,
            [Frame::TooLarge(17), Frame::Message(b"<13>ok".to_vec())]
        );
        assert!(decoder.buffer.is_empty());
    }

    #[test]
    fn a_count_that_is_not_a_number_ends_the_stream() {
        let mut decoder = Decoder::new(1024);
        assert_eq!(
            frames(&mut decoder, &[b"12345678901234 x"]),
            [Frame::Garbage]
        );
        let mut decoder = Decoder::new(1024);
        assert_eq!(
            frames(&mut decoder, &[b"9999999999 x"]),
            [Frame::TooLarge(9_999_999_999)]
        );
    }
}
