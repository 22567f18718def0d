//! What an uploaded file is, judged by its bytes and never by its name, and the form it is kept
//! in. Images are decoded within limits (a small file that claims to be enormous is refused
//! before its pixels are allocated) and encoded again, which leaves their metadata (camera,
//! place, time) behind; large ones also get a thumbnail. Other files are accepted only as PDF
//! or UTF-8 text, and are always served as downloads.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The largest file accepted, as sent.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Neither side of an image may be longer, and decoding may allocate no more than this.
const MAX_SIDE: u32 = 8192;
const MAX_DECODED_BYTES: u64 = 160 * 1024 * 1024;
/// Images wider or taller than this are shown as a thumbnail linking to the whole.
pub const THUMBNAIL_SIDE: u32 = 800;
const JPEG_QUALITY: u8 = 85;

/// A file ready to keep.
#[derive(Debug)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// The member's name for it, with the extension its content has.
    pub file_name: String,
    pub image: Option<Picture>,
}

#[derive(Debug)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    /// For an image larger than `THUMBNAIL_SIDE`, the same picture scaled to fit it.
    pub thumbnail: Option<Vec<u8>>,
}

/// Why a file was refused, in words for the member who sent it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0} is empty.")]
    Empty(String),
    #[error("{0} is larger than 4 MB, the most a file may be.")]
    TooLarge(String),
    #[error(
        "{0} is an SVG image, which can carry scripts, so it is not accepted. Save it as a PNG \
         and attach that."
    )]
    Svg(String),
    #[error("{name} is named as an image, but it is not a PNG, JPEG, GIF or WebP image.")]
    NotTheImageItIsNamed { name: String },
    #[error(
        "{0} is not a file this site accepts: attach PNG, JPEG, GIF or WebP images, PDF \
         documents or plain text."
    )]
    NotAccepted(String),
    #[error("{name} is larger than {MAX_SIDE} × {MAX_SIDE} pixels, the most an image may be.")]
    TooManyPixels { name: String },
    #[error("{0} is not an image: an avatar must be a PNG, JPEG, GIF or WebP image.")]
    NotAnImage(String),
    #[error("{0} could not be read as an image: it may be damaged.")]
    Damaged(String),
}

const IMAGE_EXTENSIONS: [&str; 10] = [
    "png", "jpg", "jpeg", "gif", "webp", "svg", "svgz", "bmp", "tif", "tiff",
];
const TEXT_EXTENSIONS: [&str; 5] = ["txt", "md", "csv", "tsv", "log"];

/// Judges `bytes` and prepares what will be kept. Slow for large images: call it off the
/// async threads.
pub fn prepare(name: &str, bytes: &[u8]) -> Result<Prepared, Refused> {
    let name = received(name, bytes)?;
    let extension = extension_of(&name);
    match accepted_image(bytes) {
        Some(format) => picture(name, bytes, format),
        _ if looks_like_svg(bytes) => Err(Refused::Svg(name)),
        _ if IMAGE_EXTENSIONS.contains(&extension.as_str()) => {
            Err(Refused::NotTheImageItIsNamed { name })
        }
        _ if bytes.starts_with(b"%PDF-") => Ok(Prepared {
            bytes: bytes.to_vec(),
            content_type: "application/pdf",
            file_name: with_extension(&name, "pdf", &["pdf"]),
            image: None,
        }),
        _ if is_text(bytes) => Ok(Prepared {
            bytes: bytes.to_vec(),
            content_type: "text/plain; charset=utf-8",
            file_name: with_extension(&name, "txt", &TEXT_EXTENSIONS),
            image: None,
        }),
        _ => Err(Refused::NotAccepted(name)),
    }
}

/// The file's cleaned name, if it is neither empty nor too large.
fn received(name: &str, bytes: &[u8]) -> Result<String, Refused> {
    let name = clean_name(name);
    if bytes.is_empty() {
        return Err(Refused::Empty(name));
    }
    if bytes.len() > MAX_BYTES {
        return Err(Refused::TooLarge(name));
    }
    Ok(name)
}

/// The format of an image the site accepts, from its first bytes.
fn accepted_image(bytes: &[u8]) -> Option<ImageFormat> {
    match image::guess_format(bytes) {
        Ok(
            format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP),
        ) => Some(format),
        _ => None,
    }
}

/// Decodes within the limits and encodes again: JPEG stays JPEG, anything else becomes PNG
/// (an animated GIF keeps its first frame).
fn picture(name: String, bytes: &[u8], format: ImageFormat) -> Result<Prepared, Refused> {
    let decoded = decode(&name, bytes, format)?;
    let (width, height) = (decoded.width(), decoded.height());
    let thumbnail = if width.max(height) > THUMBNAIL_SIDE {
        Some(decoded.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    } else {
        None
    };
    let mut prepared = kept_as(&name, &decoded, format)?;
    prepared.image = Some(Picture {
        width,
        height,
        thumbnail: match thumbnail {
            Some(small) => Some(encode(&small, format).map_err(|_| Refused::Damaged(name))?),
            None => None,
        },
    });
    Ok(prepared)
}

/// The side of an avatar, in pixels: twice what pages show, for sharp screens.
pub const AVATAR_SIDE: u32 = 192;

/// An avatar: an image, cut to the largest centred square and scaled to `AVATAR_SIDE`.
pub fn prepare_avatar(name: &str, bytes: &[u8]) -> Result<Prepared, Refused> {
    let name = received(name, bytes)?;
    let format = match accepted_image(bytes) {
        Some(format) => format,
        _ if looks_like_svg(bytes) => return Err(Refused::Svg(name)),
        _ => return Err(Refused::NotAnImage(name)),
    };
    let decoded = decode(&name, bytes, format)?;
    let side = decoded.width().min(decoded.height());
    let square = decoded.crop_imm(
        (decoded.width() - side) / 2,
        (decoded.height() - side) / 2,
        side,
        side,
    );
    let small = square.resize_exact(
        AVATAR_SIDE.min(side),
        AVATAR_SIDE.min(side),
        image::imageops::FilterType::Lanczos3,
    );
    let mut prepared = kept_as(&name, &small, format)?;
    prepared.image = Some(Picture {
        width: small.width(),
        height: small.height(),
        thumbnail: None,
    });
    Ok(prepared)
}

fn decode(name: &str, bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, Refused> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let refused = |err: image::ImageError| match err {
        image::ImageError::Limits(_) => Refused::TooManyPixels {
            name: name.to_string(),
        },
        _ => Refused::Damaged(name.to_string()),
    };
    let mut decoder = reader.into_decoder().map_err(refused)?;
    let orientation = decoder.orientation().map_err(refused)?;
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(refused)?;
    // The orientation is metadata too: turn the pixels so the picture stands as it was taken.
    decoded.apply_orientation(orientation);
    Ok(decoded)
}

/// `image` encoded for keeping: JPEG stays JPEG, anything else becomes PNG.
fn kept_as(name: &str, image: &DynamicImage, format: ImageFormat) -> Result<Prepared, Refused> {
    let (content_type, extension) = match format {
        ImageFormat::Jpeg => ("image/jpeg", "jpg"),
        _ => ("image/png", "png"),
    };
    Ok(Prepared {
        bytes: encode(image, format).map_err(|_| Refused::Damaged(name.to_string()))?,
        content_type,
        file_name: with_extension(name, extension, &[extension, "jpeg"]),
        image: None,
    })
}

fn encode(image: &DynamicImage, format: ImageFormat) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    if format == ImageFormat::Jpeg {
        let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
        DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder)?;
    } else {
        image.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)?;
    }
    Ok(out)
}

/// An SVG is XML text whose first element is `svg`; a script can ride in it.
fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_lowercase();
    head.contains("<svg")
}

/// UTF-8 with no control characters other than white space.
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|text| {
        text.chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
    })
}

/// The last part of the name a browser sent, without directories or characters that would
/// need escaping in a link or a header (which takes ASCII only); never empty.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .take(100)
        .collect();
    let mut tidy = String::with_capacity(cleaned.len());
    for c in cleaned.chars() {
        if !(c == '-' && tidy.ends_with('-')) {
            tidy.push(c);
        }
    }
    let cleaned = tidy.trim_matches(['.', '-']).to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

fn extension_of(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default()
}

/// `name` if its extension is one of `fitting`, else `name` with `extension` added.
fn with_extension(name: &str, extension: &str, fitting: &[&str]) -> String {
    if fitting.contains(&extension_of(name).as_str()) {
        name.to_string()
    } else {
        format!("{name}.{extension}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_pixel(width, height, image::Rgb([40, 120, 60]));
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn an_image_is_encoded_again_and_a_large_one_gets_a_thumbnail() {
        let small = prepare("beds.png", &png(20, 10)).unwrap();
        assert_eq!(small.content_type, "image/png");
        let picture = small.image.unwrap();
        assert_eq!((picture.width, picture.height), (20, 10));
        assert!(picture.thumbnail.is_none());

        let large = prepare("C:\\photos\\row of beds.png", &png(1600, 400)).unwrap();
        assert_eq!(large.file_name, "row-of-beds.png");
        assert_eq!(clean_name("../../café «plan».png"), "caf-plan-.png");
        let thumbnail = large.image.unwrap().thumbnail.unwrap();
        let shrunk = image::load_from_memory(&thumbnail).unwrap();
        assert_eq!((shrunk.width(), shrunk.height()), (800, 200));
    }

    #[test]
    fn a_jpeg_loses_its_metadata() {
        let image = RgbImage::from_pixel(16, 16, image::Rgb([200, 10, 10]));
        let mut jpeg = Vec::new();
        JpegEncoder::new(&mut jpeg)
            .write_image(image.as_raw(), 16, 16, image::ExtendedColorType::Rgb8)
            .unwrap();
        // An APP1 segment (where cameras put Exif, and GPS positions) after the start marker.
        let secret = b"Exif\0\0GPS 51.5N 0.1W";
        let mut with_exif = jpeg[..2].to_vec();
        with_exif.extend_from_slice(&[0xFF, 0xE1, 0, (secret.len() + 2) as u8]);
        with_exif.extend_from_slice(secret);
        with_exif.extend_from_slice(&jpeg[2..]);
        let kept = prepare("garden", &with_exif).unwrap();
        assert_eq!(kept.content_type, "image/jpeg");
        assert_eq!(kept.file_name, "garden.jpg");
        assert!(!kept.bytes.windows(3).any(|w| w == b"GPS"));
    }

    #[test]
    fn what_is_not_an_accepted_file_is_refused_whatever_its_name() {
        let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert_eq!(
            prepare("logo.png", svg).unwrap_err(),
            Refused::Svg("logo.png".into())
        );
        assert_eq!(
            prepare("cat.png", b"#!/bin/sh\nrm -rf /\n").unwrap_err(),
            Refused::NotTheImageItIsNamed {
                name: "cat.png".into()
            }
        );
        assert_eq!(
            prepare("tool.exe", b"MZ\x90\0\x03\0\0\0").unwrap_err(),
            Refused::NotAccepted("tool.exe".into())
        );
        let mut broken = png(10, 10);
        broken.truncate(40);
        assert_eq!(
            prepare("broken.png", &broken).unwrap_err(),
            Refused::Damaged("broken.png".into())
        );
        assert_eq!(
            prepare("empty.txt", b"").unwrap_err(),
            Refused::Empty("empty.txt".into())
        );
        let text = prepare("notes", b"Mulch in autumn.\n").unwrap();
        assert_eq!(text.content_type, "text/plain; charset=utf-8");
        assert_eq!(text.file_name, "notes.txt");
        let pdf = prepare("plan.PDF", b"%PDF-1.7\n...").unwrap();
        assert_eq!(
            (pdf.content_type, pdf.file_name.as_str()),
            ("application/pdf", "plan.PDF")
        );
    }
}
