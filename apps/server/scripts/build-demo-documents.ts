/**
 * Builds the binary demo documents for the "Northwind Meridian Ltd" demo tenant
 * (PDF, DOCX and XLSX) into apps/server/demo/. The Markdown and HTML demo
 * documents are hand-written and committed as they are; this script only holds
 * the text of the generated ones.
 *
 * Run from the repo root:  npm run demo:build
 *
 * The output is deterministic: document metadata uses a fixed date, and the
 * clock is frozen (and the time zone pinned to UTC) while the libraries build
 * their zip containers, so the zip entry timestamps are fixed too. Rebuilding
 * therefore produces byte-identical files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AlignmentType,
  Document,
  Footer,
  HeadingLevel,
  LevelFormat,
  Packer,
  PageNumber,
  Paragraph,
  ShadingType,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from 'docx';
import ExcelJS from 'exceljs';
import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib';
import { fixedDate, withFrozenClock } from './frozen-clock.ts';

// Pin the time zone before anything formats a date: zip entries store local time.
Object.assign(process.env, { TZ: 'UTC' });

const OUT_DIR = fileURLToPath(new URL('../demo/', import.meta.url));
const COMPANY = 'Northwind Meridian Ltd';
const MAX_BYTES = 100 * 1024;

async function writeOutput(file: string, bytes: Uint8Array): Promise<void> {
  if (bytes.byteLength > MAX_BYTES) {
    throw new Error(`${file} is ${bytes.byteLength} bytes; demo documents must stay under ${MAX_BYTES}`);
  }
  await writeFile(path.join(OUT_DIR, file), bytes);
  console.log(`wrote ${file} (${bytes.byteLength} bytes)`);
}

// ---------------------------------------------------------------------------
// PDF: Travel and Expense Policy
// ---------------------------------------------------------------------------

type PdfColumn = { header: string; width: number };
type PdfBlock =
  | { kind: 'h1'; text: string }
  | { kind: 'h2'; text: string }
  | { kind: 'p'; text: string }
  | { kind: 'bullet'; text: string }
  | { kind: 'table'; columns: PdfColumn[]; rows: string[][] };

const TRAVEL_TITLE = 'Travel and Expense Policy';
const TRAVEL_CONTROL: [string, string][] = [
  ['Policy owner', 'Group Financial Controller'],
  ['Approved by', 'Chief Financial Officer'],
  ['Applies to', 'All employees of Northwind Meridian Ltd and its subsidiaries in the UK, US and APAC'],
  ['Effective date', '1 February 2026'],
  ['Version', '4.0 (replaces version 3.4, dated 1 April 2025)'],
  ['Classification', 'Internal'],
];

const TRAVEL_BLOCKS: PdfBlock[] = [
  { kind: 'h1', text: '1. Purpose and scope' },
  {
    kind: 'p',
    text: 'This policy sets out how to book business travel and how to claim business expenses at Northwind Meridian Ltd and all of its subsidiaries in the UK, US and APAC. It applies to all employees, and to contractors whose contracts allow expense claims. Where local tax rules are stricter than this policy (for example HMRC rules in the UK or IRS accountable-plan rules in the US), the local rules apply.',
  },
  { kind: 'h1', text: '2. Key principles' },
  { kind: 'bullet', text: 'Travel only when the meeting cannot reasonably be held by video call.' },
  { kind: 'bullet', text: 'Choose the lowest-cost option that meets the business need.' },
  {
    kind: 'bullet',
    text: 'All international travel, and any domestic trip expected to cost more than £1,500 / US$2,000 / S$2,500 / A$2,800, must be approved by your line manager in the booking tool before anything is booked.',
  },
  {
    kind: 'bullet',
    text: 'Claim only actual costs incurred on company business, supported by receipts as described in section 7.',
  },
  {
    kind: 'bullet',
    text: 'Nobody may approve their own expenses. When the most senior person at an event pays, the claim goes to their own manager.',
  },
  { kind: 'h1', text: '3. Booking travel' },
  {
    kind: 'p',
    text: 'Book all flights, rail tickets and hotels through Meridian Travel Desk, our corporate travel agency, online or by phone. Bookings made elsewhere are reimbursed only if they are cheaper than the Travel Desk price for the same itinerary, and the trip must still be registered with the Travel Desk so that we can locate and support you in an emergency.',
  },
  { kind: 'h2', text: '3.1 Air travel' },
  { kind: 'bullet', text: 'Economy class for flights with a scheduled duration of up to 6 hours.' },
  { kind: 'bullet', text: 'Premium economy for flights scheduled at more than 6 hours.' },
  {
    kind: 'bullet',
    text: 'Business class only for flights of more than 10 hours, with the prior approval of an Executive Committee member, or where Occupational Health confirms it is medically necessary.',
  },
  {
    kind: 'bullet',
    text: 'Book at least 14 days before departure where possible. Change fees caused by personal choices are not reimbursed.',
  },
  { kind: 'h2', text: '3.2 Rail, taxis and car hire' },
  {
    kind: 'p',
    text: 'Use standard class rail. First class is allowed on UK journeys of more than 2.5 hours only when it is cheaper than standard class or approved in advance by your department head. Taxis are reimbursed when public transport is impractical, between 22:00 and 06:00, or for safety reasons. Hire cars must be compact or intermediate size and booked through the Travel Desk, whose rates include insurance.',
  },
  { kind: 'h2', text: '3.3 Mileage for private cars' },
  {
    kind: 'p',
    text: 'Business journeys in your own car are reimbursed at the rates below. Commuting between home and your normal workplace is not business mileage. Record the start point, destination, purpose and distance of each journey in Claimly, which calculates the distance from the addresses.',
  },
  {
    kind: 'table',
    columns: [
      { header: 'Region', width: 0.2 },
      { header: 'Mileage rate', width: 0.45 },
      { header: 'Notes', width: 0.35 },
    ],
    rows: [
      [
        'UK',
        '45p per mile for the first 10,000 business miles in the tax year, then 25p per mile',
        'HMRC approved rates; add 5p per mile per passenger',
      ],
      ['US', 'US$0.70 per mile', 'Covers fuel, wear and insurance; tolls and parking claimed separately'],
      ['Singapore', 'S$0.60 per km', 'ERP charges and parking claimed separately'],
      ['Australia', 'A$0.88 per km', 'Up to 5,000 business km per year'],
    ],
  },
  { kind: 'h1', text: '4. Accommodation' },
  {
    kind: 'p',
    text: 'Book hotels through the Travel Desk. The caps below are per room per night and include taxes and service charges, but not breakfast where it is charged separately. If no suitable room is available within the cap, for example during a major event, the Travel Desk records the exception and the higher rate is treated as approved.',
  },
  {
    kind: 'table',
    columns: [
      { header: 'Location', width: 0.5 },
      { header: 'Maximum nightly rate', width: 0.5 },
    ],
    rows: [
      ['London', '£200'],
      ['Manchester, Edinburgh', '£140'],
      ['Other UK locations', '£120'],
      ['New York', 'US$325'],
      ['San Francisco, Boston', 'US$300'],
      ['Chicago', 'US$260'],
      ['Other US locations', 'US$200'],
      ['Singapore', 'S$300'],
      ['Sydney', 'A$320'],
      ['Hong Kong', 'HK$2,000'],
      ['Tokyo', '¥30,000'],
      ['Other APAC locations', 'US$180'],
    ],
  },
  {
    kind: 'p',
    text: 'If you stay with friends or family instead of a hotel, you may claim the cost of a gift for your host of up to £30 / US$40 per trip.',
  },
  { kind: 'h1', text: '5. Meals and per diems' },
  {
    kind: 'p',
    text: 'When a trip includes an overnight stay, you receive a daily meal allowance (per diem) for each day of travel. It covers meals, non-alcoholic drinks and incidentals. The per diem is claimed in Claimly for each day and does not need receipts. The rate is that of the country where you spend the night.',
  },
  {
    kind: 'table',
    columns: [
      { header: 'Region', width: 0.28 },
      { header: 'Full day', width: 0.18 },
      { header: 'Breakfast', width: 0.18 },
      { header: 'Lunch', width: 0.18 },
      { header: 'Dinner', width: 0.18 },
    ],
    rows: [
      ['UK', '£45', '£10', '£12', '£23'],
      ['US', 'US$75', 'US$15', 'US$20', 'US$40'],
      ['Singapore', 'S$90', 'S$15', 'S$25', 'S$50'],
      ['Australia', 'A$100', 'A$20', 'A$25', 'A$55'],
      ['Hong Kong', 'HK$600', 'HK$100', 'HK$170', 'HK$330'],
      ['Japan', '¥9,000', '¥1,500', '¥2,500', '¥5,000'],
      ['Other APAC', 'US$65', 'US$12', 'US$18', 'US$35'],
    ],
  },
  {
    kind: 'bullet',
    text: 'On the day you leave and the day you return, you receive 75% of the full-day rate.',
  },
  {
    kind: 'bullet',
    text: 'Deduct the meal amount shown above for any meal that is provided, for example by a client, at a conference, on the flight or in the hotel rate.',
  },
  {
    kind: 'bullet',
    text: 'Day trips without an overnight stay: if you are away from your normal workplace for more than 10 hours, you may claim the actual cost of one meal up to £15 / US$20 / S$25 / A$25, with a receipt.',
  },
  { kind: 'h1', text: '6. Client entertainment and gifts' },
  {
    kind: 'p',
    text: "Client entertainment must have a clear business purpose. Record the names and companies of all attendees in Claimly. The limit is £75 / US$100 / S$130 / A$140 per person, including drinks, taxes and tips; anything above this needs the department head's approval before the event. Team meals for staff only are limited to £40 / US$50 per person and need department head approval. Gifts to clients are limited to £50 / US$65 per recipient per year. Anything above these limits must be entered in the Gifts and Hospitality Register and approved by Compliance. In the US, tips of up to 20% on meals and 15% on taxis are reimbursable.",
  },
  { kind: 'h1', text: '7. Receipts' },
  {
    kind: 'p',
    text: "An itemised receipt must be attached in Claimly for every expense over £25 in the UK, over US$30 in the US, over S$40 in Singapore, over A$45 in Australia, and over the equivalent of US$30 elsewhere. Card payment slips and bank statements are not receipts. Photograph receipts with the Claimly mobile app at the time of purchase; UK VAT receipts must show the supplier's VAT number. If a receipt is lost, complete a Missing Receipt Declaration in Claimly. No more than 3 declarations are accepted per person per year, each for no more than £75 / US$100.",
  },
  { kind: 'h1', text: '8. Submitting claims in Claimly' },
  {
    kind: 'bullet',
    text: 'Submit every expense in Claimly, the company expense tool, within 30 days of the date the cost was incurred (for trips, within 30 days of your return).',
  },
  {
    kind: 'bullet',
    text: 'Claims submitted more than 30 days late are flagged to your department head. Claims more than 90 days old are not reimbursed unless the Regional Finance Director approves an exception.',
  },
  {
    kind: 'bullet',
    text: 'Each claim must state the business purpose and cost centre or project code, with receipts and, for entertainment, the attendee list.',
  },
  {
    kind: 'bullet',
    text: 'Approved claims are paid by bank transfer within 10 business days of final approval.',
  },
  { kind: 'h1', text: '9. Approval thresholds' },
  {
    kind: 'p',
    text: 'Claimly routes each claim according to its total value. Finance audits a random sample of 10% of claims every month, plus every claim that needs Regional Finance Director approval.',
  },
  {
    kind: 'table',
    columns: [
      { header: 'Total value of the claim', width: 0.55 },
      { header: 'Approved by', width: 0.45 },
    ],
    rows: [
      ['Up to £1,000 / US$1,250 / S$1,700 / A$1,900', 'Line manager'],
      ['Above that, up to £5,000 / US$6,250 / S$8,500 / A$9,500', 'Line manager and department head'],
      [
        'Above £5,000 / US$6,250 / S$8,500 / A$9,500',
        'Line manager, department head and Regional Finance Director',
      ],
      [
        'Any claim by an Executive Committee member',
        "Chief Financial Officer (the CFO's claims: Chief Executive Officer)",
      ],
    ],
  },
  { kind: 'h1', text: '10. Corporate cards' },
  {
    kind: 'p',
    text: 'Corporate cards are issued to employees who travel more than 4 times a year or who spend more than £3,000 / US$4,000 a year on business expenses. Personal use is not allowed. Every card transaction must be reconciled in Claimly by the 5th business day of the following month; cards with items outstanding for more than 60 days are suspended.',
  },
  { kind: 'h1', text: '11. Non-reimbursable items' },
  { kind: 'p', text: 'The following are not reimbursed, whatever the circumstances:' },
  {
    kind: 'bullet',
    text: 'Fines and penalties, including parking and speeding fines (the London congestion charge itself may be claimed).',
  },
  { kind: 'bullet', text: "Personal travel insurance: the company's policy already covers business trips." },
  {
    kind: 'bullet',
    text: 'Seat upgrades, airport lounge memberships, and seat-selection fees on flights of 6 hours or less.',
  },
  {
    kind: 'bullet',
    text: 'Minibar, in-room films, spa and gym charges, and laundry on trips shorter than 5 nights.',
  },
  { kind: 'bullet', text: 'Travel or meals for spouses, partners, family members or friends.' },
  { kind: 'bullet', text: 'Clothing, luggage, toiletries and personal grooming.' },
  {
    kind: 'bullet',
    text: 'Passport fees (visa fees for business travel are reimbursed) and costs of trips cancelled for personal reasons.',
  },
  {
    kind: 'bullet',
    text: 'Alcohol that is not part of a meal, and commuting between home and your normal workplace.',
  },
  { kind: 'h1', text: '12. Travel safety, misuse and contacts' },
  {
    kind: 'p',
    text: 'Travel to a country rated High or Extreme risk by Group Security needs Group Security approval and a pre-travel briefing; IT will issue a clean loan laptop for these trips, as required by the IT Security Policy. The 24/7 travel assistance number is printed on every Travel Desk itinerary. Submitting a false or inflated claim is treated as gross misconduct. Questions about this policy should go to expenses-uk@northwindmeridian.com, expenses-us@northwindmeridian.com or expenses-apac@northwindmeridian.com.',
  },
];

const WIN_ANSI_EXTRAS = new Set('£€¥©®°·–—‘’“”•…×');

function assertWinAnsi(text: string): void {
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    const printableAscii = code >= 0x20 && code <= 0x7e;
    if (!printableAscii && !WIN_ANSI_EXTRAS.has(ch)) {
      throw new Error(
        `Character ${JSON.stringify(ch)} (U+${code.toString(16)}) is not allowed in the PDF text: ${text}`,
      );
    }
  }
}

function wrapText(text: string, font: PDFFont, size: number, maxWidth: number): string[] {
  assertWinAnsi(text);
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (current !== '' && font.widthOfTextAtSize(candidate, size) > maxWidth) {
      lines.push(current);
      current = word;
    } else {
      current = candidate;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

async function buildTravelPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`${COMPANY} ${TRAVEL_TITLE}`);
  doc.setAuthor(`${COMPANY}, Group Finance`);
  doc.setSubject(
    'Business travel booking, hotel caps, per diems, mileage, receipts, approvals and expense claims',
  );
  doc.setKeywords(['travel', 'expenses', 'per diem', 'hotel', 'mileage', 'Claimly', 'Northwind Meridian']);
  doc.setCreator('Nexus demo document builder');
  doc.setProducer('pdf-lib');
  doc.setLanguage('en-GB');
  doc.setCreationDate(fixedDate());
  doc.setModificationDate(fixedDate());

  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const PAGE_W = 595.28;
  const PAGE_H = 841.89;
  const MARGIN_X = 68;
  const TOP = PAGE_H - 80;
  const BOTTOM = 80;
  const CONTENT_W = PAGE_W - 2 * MARGIN_X;
  const BODY = 11;
  const LEADING = 16;
  const ink = rgb(0.1, 0.1, 0.12);
  const accent = rgb(0.05, 0.25, 0.45);
  const grey = rgb(0.4, 0.4, 0.45);

  const pages: PDFPage[] = [];
  let page = doc.addPage([PAGE_W, PAGE_H]);
  pages.push(page);
  let y = TOP;

  const newPage = (): void => {
    page = doc.addPage([PAGE_W, PAGE_H]);
    pages.push(page);
    y = TOP;
  };
  const ensure = (height: number): void => {
    if (y - height < BOTTOM) newPage();
  };
  const line = (text: string, x: number, font: PDFFont, size: number, color = ink): void => {
    page.drawText(text, { x, y: y - size, size, font, color });
  };

  // Title block and document control table on page 1.
  line(COMPANY.toUpperCase(), MARGIN_X, bold, 10, grey);
  y -= 22;
  line(TRAVEL_TITLE, MARGIN_X, bold, 22, accent);
  y -= 40;
  for (const [label, value] of TRAVEL_CONTROL) {
    const valueLines = wrapText(value, regular, 10, CONTENT_W - 130);
    line(label, MARGIN_X, bold, 10);
    for (const valueLine of valueLines) {
      line(valueLine, MARGIN_X + 130, regular, 10);
      y -= 14;
    }
    y -= 2;
  }
  y -= 6;
  page.drawLine({
    start: { x: MARGIN_X, y },
    end: { x: PAGE_W - MARGIN_X, y },
    thickness: 0.75,
    color: accent,
  });
  y -= 18;

  const drawTableRow = (columns: PdfColumn[], cells: string[], font: PDFFont): void => {
    const size = 10;
    const rowLeading = 13.5;
    const wrapped = columns.map((col, i) => wrapText(cells[i] ?? '', font, size, col.width * CONTENT_W - 10));
    const height = Math.max(...wrapped.map((w) => w.length)) * rowLeading + 8;
    let x = MARGIN_X;
    const top = y;
    wrapped.forEach((cellLines, i) => {
      let cy = top - 4;
      for (const cellLine of cellLines) {
        page.drawText(cellLine, { x: x + 4, y: cy - size, size, font, color: ink });
        cy -= rowLeading;
      }
      x += (columns[i]?.width ?? 0) * CONTENT_W;
    });
    y -= height;
    page.drawLine({
      start: { x: MARGIN_X, y },
      end: { x: MARGIN_X + CONTENT_W, y },
      thickness: 0.4,
      color: grey,
    });
  };

  for (const block of TRAVEL_BLOCKS) {
    switch (block.kind) {
      case 'h1': {
        ensure(26 + 3 * LEADING); // keep the heading with the first lines that follow it
        y -= 10;
        line(block.text, MARGIN_X, bold, 14, accent);
        y -= 24;
        break;
      }
      case 'h2': {
        ensure(20 + 2 * LEADING);
        y -= 4;
        line(block.text, MARGIN_X, bold, 11.5, ink);
        y -= 19;
        break;
      }
      case 'p': {
        for (const text of wrapText(block.text, regular, BODY, CONTENT_W)) {
          ensure(LEADING);
          line(text, MARGIN_X, regular, BODY);
          y -= LEADING;
        }
        y -= 7;
        break;
      }
      case 'bullet': {
        const indent = 16;
        wrapText(block.text, regular, BODY, CONTENT_W - indent).forEach((text, i) => {
          ensure(LEADING);
          if (i === 0) line('•', MARGIN_X + 3, regular, BODY);
          line(text, MARGIN_X + indent, regular, BODY);
          y -= LEADING;
        });
        y -= 3;
        break;
      }
      case 'table': {
        const header = block.columns.map((c) => c.header);
        ensure(3 * 22);
        drawTableRow(block.columns, header, bold);
        for (const row of block.rows) {
          if (y - 2 * 13.5 - 8 < BOTTOM) {
            newPage();
            drawTableRow(block.columns, header, bold); // repeat the header row
          }
          drawTableRow(block.columns, row, regular);
        }
        y -= 12;
        break;
      }
    }
  }

  // Running header (from page 2) and footer with page numbers.
  const total = pages.length;
  pages.forEach((p, i) => {
    const footerLeft = `${COMPANY} · ${TRAVEL_TITLE} · Version 4.0 · Internal`;
    const footerRight = `Page ${i + 1} of ${total}`;
    p.drawLine({
      start: { x: MARGIN_X, y: 56 },
      end: { x: PAGE_W - MARGIN_X, y: 56 },
      thickness: 0.4,
      color: grey,
    });
    p.drawText(footerLeft, { x: MARGIN_X, y: 42, size: 8.5, font: regular, color: grey });
    p.drawText(footerRight, {
      x: PAGE_W - MARGIN_X - regular.widthOfTextAtSize(footerRight, 8.5),
      y: 42,
      size: 8.5,
      font: regular,
      color: grey,
    });
    if (i > 0) {
      const headerText = `${TRAVEL_TITLE} (effective 1 February 2026)`;
      p.drawText(headerText, {
        x: PAGE_W - MARGIN_X - regular.widthOfTextAtSize(headerText, 8.5),
        y: PAGE_H - 48,
        size: 8.5,
        font: regular,
        color: grey,
      });
    }
  });

  return doc.save({ useObjectStreams: false });
}

// ---------------------------------------------------------------------------
// DOCX helpers
// ---------------------------------------------------------------------------

const h1 = (text: string): Paragraph => new Paragraph({ text, heading: HeadingLevel.HEADING_1 });
const h2 = (text: string): Paragraph => new Paragraph({ text, heading: HeadingLevel.HEADING_2 });
const para = (text: string): Paragraph =>
  new Paragraph({ children: [new TextRun(text)], spacing: { after: 120 } });
const bullet = (text: string): Paragraph =>
  new Paragraph({ children: [new TextRun(text)], bullet: { level: 0 } });
/** A paragraph that starts with a bold lead-in, e.g. "Owner: " + value. */
const labelled = (label: string, text: string): Paragraph =>
  new Paragraph({
    children: [new TextRun({ text: `${label}: `, bold: true }), new TextRun(text)],
    spacing: { after: 60 },
  });

function docxTable(header: string[], rows: string[][], widths: number[]): Table {
  const cell = (text: string, isHeader: boolean, width: number): TableCell =>
    new TableCell({
      width: { size: width, type: WidthType.PERCENTAGE },
      ...(isHeader ? { shading: { type: ShadingType.CLEAR, color: 'auto', fill: 'D9E2F3' } } : {}),
      margins: { top: 60, bottom: 60, left: 100, right: 100 },
      children: [new Paragraph({ children: [new TextRun({ text, bold: isHeader })] })],
    });
  return new Table({
    width: { size: 100, type: WidthType.PERCENTAGE },
    rows: [
      new TableRow({ tableHeader: true, children: header.map((h, i) => cell(h, true, widths[i] ?? 25)) }),
      ...rows.map((r) => new TableRow({ children: r.map((c, i) => cell(c, false, widths[i] ?? 25)) })),
    ],
  });
}

function docxFooter(text: string): Footer {
  return new Footer({
    children: [
      new Paragraph({
        alignment: AlignmentType.CENTER,
        children: [
          new TextRun({ text: `${text} · Page `, size: 16 }),
          new TextRun({ children: [PageNumber.CURRENT], size: 16 }),
          new TextRun({ text: ' of ', size: 16 }),
          new TextRun({ children: [PageNumber.TOTAL_PAGES], size: 16 }),
        ],
      }),
    ],
  });
}

const DOCX_STYLES = {
  default: {
    document: { run: { font: 'Calibri', size: 22 } },
    title: { run: { size: 44, bold: true, color: '1F4E79' }, paragraph: { spacing: { after: 240 } } },
    heading1: {
      run: { size: 30, bold: true, color: '1F4E79' },
      paragraph: { spacing: { before: 360, after: 120 }, keepNext: true, outlineLevel: 0 },
    },
    heading2: {
      run: { size: 25, bold: true, color: '2E74B5' },
      paragraph: { spacing: { before: 240, after: 80 }, keepNext: true, outlineLevel: 1 },
    },
  },
};

// ---------------------------------------------------------------------------
// DOCX: IT Security Policy
// ---------------------------------------------------------------------------

function buildItSecurityDocx(): Document {
  const children: (Paragraph | Table)[] = [
    new Paragraph({ text: 'IT Security Policy', heading: HeadingLevel.TITLE }),
    labelled('Policy owner', 'Chief Information Security Officer (CISO)'),
    labelled(
      'Applies to',
      'All employees, contractors and temporary staff of Northwind Meridian Ltd and its subsidiaries in the UK, US and APAC who use company systems, devices or data',
    ),
    labelled('Effective date', '15 January 2026'),
    labelled('Version', '5.1 (replaces version 5.0, dated 1 March 2025)'),
    labelled('Classification', 'Internal'),

    h1('1. Purpose and scope'),
    para(
      "This policy sets the minimum security rules that protect Northwind Meridian's people, customers and information. It applies to every company system, laptop, mobile device and cloud service, wherever you work, including from home and while travelling.",
    ),

    h1('2. Roles and responsibilities'),
    bullet(
      'The CISO owns this policy, approves exceptions and reports on security risk to the Executive Committee every quarter.',
    ),
    bullet(
      'The Security Operations Centre (SOC) monitors company systems 24/7 and leads the response to security incidents.',
    ),
    bullet(
      'The IT Service Desk provides accounts, devices and first-line support, and is the front door for reporting incidents.',
    ),
    bullet(
      'Managers make sure their team completes the annual security awareness training within 30 days of it being assigned.',
    ),

    h1('3. Accounts, passwords and MFA'),
    h2('3.1 Passwords and passphrases'),
    bullet(
      'Passwords must be at least 14 characters long. We recommend a passphrase of three or more unrelated words, for example "copper lantern orbit meadow".',
    ),
    bullet(
      'Privileged (administrator) and service accounts must use passwords of at least 20 characters, generated by the company password manager.',
    ),
    bullet(
      'Never reuse your Northwind Meridian password on any other site or service, and never share it with anyone, including the IT Service Desk.',
    ),
    bullet(
      'Passwords do not expire on a schedule. Change your password immediately if you think it may be known to someone else.',
    ),
    bullet(
      'Store passwords only in the company password manager; do not write them down or keep them in files, notes or browsers.',
    ),
    bullet('Accounts are locked for 15 minutes after 10 failed sign-in attempts.'),
    h2('3.2 Multi-factor authentication (MFA)'),
    bullet(
      'MFA is required for every user on every company account, including email, VPN, single sign-on and all cloud applications.',
    ),
    bullet(
      'Approved methods are the company authenticator app with number matching, or a FIDO2 security key. Administrators must use a FIDO2 security key.',
    ),
    bullet(
      'SMS and voice codes are not accepted, except for a one-time account recovery carried out by the IT Service Desk after identity checks.',
    ),
    bullet(
      'Never approve an MFA prompt you did not start. An unexpected prompt means someone may have your password: report it as a security incident.',
    ),
    h2('3.3 Privileged access'),
    para(
      'Administrators use a separate admin account for privileged tasks. Privileged access is granted for a limited time and reviewed by system owners every quarter.',
    ),

    h1('4. Devices'),
    h2('4.1 Company laptops'),
    bullet(
      'Every laptop must have full-disk encryption enabled: BitLocker on Windows and FileVault on macOS, managed by IT. Unencrypted laptops are blocked from company systems.',
    ),
    bullet(
      'Screens lock automatically after 5 minutes of inactivity. Lock your screen (Windows key + L, or Control + Command + Q) whenever you step away.',
    ),
    bullet(
      'Install security updates when prompted. Critical updates must be installed within 72 hours and all other security updates within 14 days.',
    ),
    bullet(
      'Do not disable or tamper with the endpoint protection agent, firewall or device management software.',
    ),
    bullet(
      'Users do not have local administrator rights. Request software through the Service Desk portal; only approved software may be installed.',
    ),
    h2('4.2 Mobile phones and personal devices'),
    para(
      'Company email, chat and files may be used on a personal phone only through the managed apps installed by the device management tool. The phone must have a PIN of at least 6 digits or biometric unlock and a supported operating system. Personal laptops and tablets must not be used to access company systems, except for webmail and chat through the browser with MFA.',
    ),
    h2('4.3 Removable media'),
    para(
      'USB storage devices are blocked by default. Where there is a business need, the CISO may approve an encrypted company-issued drive.',
    ),

    h1('5. Email and phishing'),
    bullet(
      'Report suspicious emails with the "Report Phish" button in Outlook. The button forwards the message to report@northwindmeridian.com and removes it from your inbox. If the button is not available (for example on a phone), forward the email as an attachment to report@northwindmeridian.com.',
    ),
    bullet(
      'If you have clicked a link, opened an attachment or entered your password, call the IT Service Desk immediately and treat it as a security incident (section 7). You will not be blamed for reporting quickly.',
    ),
    bullet(
      'Changes to supplier or employee bank details must always be confirmed by phone using a number already held on file, never a number given in the email.',
    ),
    bullet(
      'The SOC runs phishing simulations every quarter. Anyone who fails 3 simulations in 12 months completes additional training.',
    ),

    h1('6. Data classification and handling'),
    para(
      'All company information must be classified by its owner into one of four levels. If a document is not labelled, treat it as Internal. Handle information according to the highest classification of anything it contains.',
    ),
    docxTable(
      ['Classification', 'Definition', 'Examples', 'Handling rules'],
      [
        [
          'Public',
          'Information approved for release to anyone outside the company.',
          'Website content, published press releases, marketing brochures, job adverts.',
          'No restrictions once approved for release by Communications.',
        ],
        [
          'Internal',
          'Day-to-day business information not intended for the public. The default level.',
          'Intranet pages, most policies (including this one), organisation charts, internal procedures.',
          'Share only with employees and with contractors or partners under a non-disclosure agreement. Do not post publicly.',
        ],
        [
          'Confidential',
          'Sensitive business or personal information whose disclosure could harm the company, customers or employees.',
          'Customer contracts and pricing, salary data, employee records, sales commission plans, non-public financial results.',
          'Need-to-know access only. Label as Confidential. Share externally only through approved file-sharing tools with encryption. Do not print at home.',
        ],
        [
          'Restricted',
          'The most sensitive information, whose disclosure could cause serious harm or breach legal or regulatory obligations.',
          'Payment card and bank details, national ID and passport numbers, health data, passwords and encryption keys, disciplinary case files, merger and acquisition plans.',
          'Access only for named individuals approved by the data owner. Store only in systems approved for Restricted data. Never send by unencrypted email, store on removable media or personal devices, or view in public places. Printing requires data owner approval.',
        ],
      ],
      [14, 24, 28, 34],
    ),
    para(''),
    bullet(
      'Use only company-approved storage and collaboration tools. Personal email and personal cloud storage must never be used for company information.',
    ),
    bullet(
      'Confidential and Restricted information must not be entered into public generative AI tools. Use only AI tools approved by IT, such as Nexus, which keeps data inside the company tenant.',
    ),

    h1('7. Reporting security incidents'),
    para(
      'A security incident is any event that could affect the confidentiality, integrity or availability of company information or systems. You must report any actual or suspected security incident within 1 hour of becoming aware of it. Reporting quickly matters: personal data breaches may need to be notified to regulators within 72 hours.',
    ),
    h2('7.1 How to report'),
    bullet(
      'Use "Report a security incident" in the Service Desk portal, or call the IT Service Desk. Outside office hours the Service Desk phone line is answered by the SOC, 24/7.',
    ),
    bullet(
      'Alternatively email security@northwindmeridian.com, but only if you are sure your email account has not been compromised.',
    ),
    bullet(
      'Report a lost or stolen laptop, phone or security key within 1 hour, even if you think it was locked. IT will lock and wipe it remotely.',
    ),
    h2('7.2 Examples of incidents'),
    bullet(
      'Clicking a phishing link, entering your password on a suspicious site, or approving an unexpected MFA prompt.',
    ),
    bullet('Sending Confidential or Restricted information to the wrong person.'),
    bullet('Malware warnings, unusual pop-ups, or files that are suddenly encrypted or renamed.'),
    para(
      'Do not try to investigate yourself, delete evidence or contact the suspected attacker. The SOC will lead the response, and the Data Protection Officer will decide whether any personal data breach must be reported.',
    ),

    h1('8. Acceptable use'),
    para(
      'Company systems are provided for business use. Limited personal use is allowed if it does not interfere with work or break any other rule in this policy.',
    ),
    h2('8.1 You must not'),
    bullet('access, store or send illegal, offensive, discriminatory or sexually explicit material;'),
    bullet('use company systems to harass or bully anyone;'),
    bullet('share your account, password, MFA device or security key with anyone;'),
    bullet('install unapproved software, browser extensions or cloud services ("shadow IT");'),
    bullet('try to bypass security controls, including using personal VPNs or proxies on company devices.'),
    h2('8.2 Working remotely and travelling'),
    para(
      'Connect through the company VPN on any network other than a Northwind Meridian office network. Use a privacy screen filter in public places. Before travelling to a country rated High or Extreme risk by Group Security, collect a clean loan laptop from IT and leave your usual laptop at home.',
    ),
    h2('8.3 Monitoring'),
    para(
      'The SOC monitors the use of company systems, networks and devices, in line with local law and the Employee Privacy Notice.',
    ),

    h1('9. Exceptions and enforcement'),
    para(
      'Any exception to this policy must be requested through the Service Desk portal using a Security Exception Request, approved by the CISO and reviewed at least every 12 months. Breaching this policy may lead to removal of access and to disciplinary action, up to and including dismissal. Questions should be raised with the IT Service Desk or the Information Security team at security@northwindmeridian.com.',
    ),
  ];

  return new Document({
    creator: `${COMPANY}, Information Security`,
    lastModifiedBy: `${COMPANY}, Information Security`,
    title: 'IT Security Policy',
    subject: 'Passwords, MFA, devices, phishing, data classification, incident reporting and acceptable use',
    keywords: 'security, password, MFA, encryption, phishing, data classification, incident',
    description: 'Group-wide IT Security Policy, version 5.1, effective 15 January 2026',
    revision: 51,
    styles: DOCX_STYLES,
    sections: [
      { footers: { default: docxFooter(`${COMPANY} · IT Security Policy v5.1 · Internal`) }, children },
    ],
  });
}

// ---------------------------------------------------------------------------
// DOCX: US Finance month-end close
// ---------------------------------------------------------------------------

const CHECKLIST_REF = 'close-checklist';

function buildMonthEndCloseDocx(): Document {
  const step = (text: string): Paragraph =>
    new Paragraph({
      children: [new TextRun(text)],
      numbering: { reference: CHECKLIST_REF, level: 0 },
      spacing: { after: 60 },
    });

  const children: (Paragraph | Table)[] = [
    new Paragraph({ text: 'US Finance Month-End Close Procedure', heading: HeadingLevel.TITLE }),
    labelled('Owner', 'US Controller'),
    labelled('Applies to', 'US Finance team, Northwind Meridian Inc. (US entity, functional currency USD)'),
    labelled('Effective date', '1 March 2026 (first used for the February 2026 close)'),
    labelled('Version', '3.0'),
    labelled('Classification', 'Internal, US Finance'),

    h1('1. Purpose'),
    para(
      'This procedure sets out the timetable, tasks and controls for closing the books of Northwind Meridian Inc. each month. The US ledger is closed in the Atlas ERP, and the US reporting pack is submitted to Group Finance in London, which consolidates the group in GBP. The aim is an accurate close, completed within 5 business days, with every balance supported and every journal properly approved.',
    ),

    h1('2. Close calendar'),
    para(
      'Business day 1 (BD1) is the first US working day of the new month; US federal holidays observed by the company are not business days. All deadlines are 17:00 Eastern Time (ET) unless shown otherwise. For quarter-end months (March, June, September and December) the reporting pack deadline moves to BD6, and for the December year-end close to BD8.',
    ),
    docxTable(
      ['Day', 'Main activities', 'Deadline'],
      [
        [
          'BD-2 to BD0',
          'Cut-off reminders; open purchase order review; pre-close checks',
          'Last business day of the month',
        ],
        [
          'BD1',
          'Sub-ledger close (AP, AR, payroll, expenses, cash)',
          'AP closes 12:00 ET; AR closes 17:00 ET',
        ],
        ['BD2', 'Accruals, prepaids, depreciation, intercompany', '17:00 ET'],
        ['BD3', 'Bank and balance sheet reconciliations, FX revaluation', '17:00 ET'],
        ['BD4', 'Flux analysis, preliminary P&L review, top-side adjustments', '17:00 ET'],
        ['BD5', 'Reporting pack to Group Finance, sign-off, period lock', '17:00 ET (22:00 London)'],
      ],
      [16, 58, 26],
    ),

    h1('3. Close checklist'),
    para(
      'Complete each step in the close tracker and attach the supporting evidence. Steps are numbered so they can be referred to in review notes.',
    ),
    h2('3.1 Pre-close (BD-2 to BD0)'),
    step(
      'Send the cut-off reminder to all budget holders: vendor invoices, goods receipts and accrual requests must reach Accounts Payable by 17:00 ET on the last business day of the month.',
    ),
    step(
      'Review open purchase orders over $5,000 with budget holders to identify goods or services received but not yet invoiced.',
    ),
    step(
      'Confirm with US Payroll the payroll dates, bonus payments and any off-cycle payments for the month.',
    ),
    h2('3.2 Business day 1: sub-ledger close'),
    step('Post all remaining vendor invoices and close the AP sub-ledger at 12:00 ET.'),
    step(
      'Import the payroll journals and reconcile them to the payroll register, including employer taxes and 401(k) contributions.',
    ),
    step(
      'Import approved Claimly expense claims and the corporate card feed; code any unallocated card transactions to the suspense account and chase cardholders.',
    ),
    step('Invoice all orders shipped by the last day of the month and close the AR sub-ledger at 17:00 ET.'),
    step('Download bank statements for all US accounts and post any unrecorded receipts and bank fees.'),
    h2('3.3 Business day 2: accruals and allocations'),
    step('Post accruals in line with section 4, using auto-reversing journals.'),
    step(
      'Run prepaid amortisation and fixed asset depreciation, and review both schedules for new additions.',
    ),
    step(
      'Post intercompany recharges with Northwind Meridian Ltd (UK) and agree balances with Group Finance using the intercompany matching report.',
    ),
    h2('3.4 Business day 3: reconciliations'),
    step(
      'Complete bank reconciliations for every account; the Accounting Manager reviews them the same day.',
    ),
    step(
      'Complete balance sheet reconciliations for all accounts with a balance of $50,000 or more, and for every account rated high risk, whatever its balance.',
    ),
    step('Resolve intercompany differences over $1,000 with Group Finance.'),
    step('Revalue non-USD balances using the month-end rates published by Group Treasury.'),
    step('Roll forward deferred revenue and confirm that revenue recognised matches contract schedules.'),
    h2('3.5 Business day 4: review'),
    step(
      'Prepare the flux analysis: explain every P&L line that moved by more than 10% and more than $50,000 compared with both the prior month and budget.',
    ),
    step('Review the preliminary P&L and balance sheet with the US Controller.'),
    step('Post any top-side adjustments agreed in the review, with US Controller approval.'),
    h2('3.6 Business day 5: reporting and sign-off'),
    step('Submit the US reporting pack to Group Finance by 17:00 ET (22:00 London time).'),
    step('Obtain sign-off from the US Controller and the VP Finance, US, and lock the period in Atlas.'),
    step(
      'Mark the close tracker complete, file all supporting documents in the close archive and record lessons learned for the next close.',
    ),

    h1('4. Accrual rules'),
    bullet(
      'Accrue goods and services received but not invoiced when the expected amount is $5,000 or more per purchase order line or per vendor invoice. Smaller amounts are expensed when the invoice arrives.',
    ),
    bullet(
      'Every accrual must be supported by a goods receipt in Atlas or an accrual request from the budget holder, submitted by 12:00 ET on BD1 with a quote, contract or calculation.',
    ),
    bullet(
      'Accruals are posted as auto-reversing journals that reverse on BD1 of the following month. Accruals more than 3 months old must be investigated and cleared or justified.',
    ),
    bullet(
      'Bonus: accrue 1/12 of the annual target bonus pool each month, adjusted every quarter for the latest forecast.',
    ),
    bullet(
      'Sales commission: accrue on bookings credited in the month, using the commission rates in the current sales compensation plan.',
    ),
    bullet(
      'Paid time off: true up the PTO liability every quarter from the PeopleHub balance report, as accrued PTO is paid out when employees leave.',
    ),
    bullet(
      'Prepayments: payments of $10,000 or more covering more than 3 months are recorded as prepaid expenses and amortised on a straight-line basis.',
    ),
    bullet(
      'Fixed assets: purchases of $5,000 or more per item with a useful life of more than 1 year are capitalised; smaller items are expensed.',
    ),

    h1('5. Journal approval limits'),
    para(
      'Journals are approved in Atlas before posting. The preparer can never approve their own journal; Atlas enforces this segregation of duties. Limits apply to the larger of total debits or total credits.',
    ),
    docxTable(
      ['Journal value (USD)', 'Minimum approver'],
      [
        ['Up to $25,000', 'Senior Accountant (not the preparer)'],
        ['$25,000.01 to $250,000', 'Accounting Manager'],
        ['$250,000.01 to $1,000,000', 'US Controller'],
        ['Over $1,000,000', 'VP Finance, US, with notification to the Group Financial Controller'],
      ],
      [40, 60],
    ),
    para(''),
    bullet(
      'Manual journals that touch revenue or cash accounts always require US Controller approval, whatever the amount.',
    ),
    bullet(
      'Top-side adjustments after BD4 require US Controller approval and must be reported to Group Finance.',
    ),
    bullet('Changes to the chart of accounts require approval from the Group Financial Controller.'),

    h1('6. Contacts'),
    para(
      'Questions about this procedure should go to the US Controller. Questions about group reporting deadlines and intercompany balances should go to Group Finance in London, and questions about expense claims to the US expenses team at expenses-us@northwindmeridian.com.',
    ),
  ];

  return new Document({
    creator: `${COMPANY}, US Finance`,
    lastModifiedBy: `${COMPANY}, US Finance`,
    title: 'US Finance Month-End Close Procedure',
    subject:
      'Close calendar, checklist, accrual rules and journal approval limits for Northwind Meridian Inc.',
    keywords: 'month-end close, accruals, journal approval, reconciliation, US Finance',
    description: 'US Finance month-end close procedure, version 3.0, effective 1 March 2026',
    revision: 3,
    styles: DOCX_STYLES,
    numbering: {
      config: [
        {
          reference: CHECKLIST_REF,
          levels: [
            {
              level: 0,
              format: LevelFormat.DECIMAL,
              text: '%1.',
              alignment: AlignmentType.START,
              style: { paragraph: { indent: { left: 720, hanging: 360 } } },
            },
          ],
        },
      ],
    },
    sections: [
      {
        footers: { default: docxFooter(`${COMPANY} · US Finance Month-End Close v3.0 · Internal`) },
        children,
      },
    ],
  });
}

// ---------------------------------------------------------------------------
// XLSX helpers
// ---------------------------------------------------------------------------

function newWorkbook(title: string, subject: string, description: string): ExcelJS.Workbook {
  const wb = new ExcelJS.Workbook();
  wb.creator = COMPANY;
  wb.lastModifiedBy = COMPANY;
  wb.company = COMPANY;
  wb.title = title;
  wb.subject = subject;
  wb.description = description;
  wb.created = fixedDate();
  wb.modified = fixedDate();
  wb.lastPrinted = fixedDate();
  return wb;
}

function styleHeader(ws: ExcelJS.Worksheet, columnCount: number): void {
  const header = ws.getRow(1);
  header.font = { bold: true, color: { argb: 'FFFFFFFF' } };
  header.alignment = { vertical: 'middle', wrapText: true };
  for (let c = 1; c <= columnCount; c++) {
    header.getCell(c).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF1F4E79' } };
  }
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columnCount } };
}

async function workbookBytes(wb: ExcelJS.Workbook): Promise<Uint8Array> {
  const buffer = await wb.xlsx.writeBuffer();
  return new Uint8Array(buffer);
}

// ---------------------------------------------------------------------------
// XLSX: APAC Sales commission plan 2026
// ---------------------------------------------------------------------------

async function buildCommissionXlsx(): Promise<Uint8Array> {
  const wb = newWorkbook(
    'APAC Sales Commission Plan 2026',
    'Commission tiers, accelerators and regional quotas for APAC Sales',
    'APAC Sales commission plan for the 2026 plan year (1 January to 31 December 2026). Confidential.',
  );

  const plan = wb.addWorksheet('Commission Plan');
  plan.columns = [
    { header: 'Tier', key: 'tier', width: 20 },
    { header: 'Quota attainment from (%)', key: 'from', width: 16 },
    { header: 'Quota attainment to (%)', key: 'to', width: 16 },
    { header: 'Commission rate (% of ACV)', key: 'rate', width: 16 },
    { header: 'Accelerator (x base rate)', key: 'accel', width: 16 },
    { header: 'Notes', key: 'notes', width: 80 },
  ];
  const tiers: {
    tier: string;
    from: number;
    to: number | string;
    rate: number;
    accel: number;
    notes: string;
  }[] = [
    {
      tier: 'Tier 0 - Threshold',
      from: 0,
      to: 50,
      rate: 0,
      accel: 0,
      notes: 'No commission is paid on bookings that take attainment from 0% to 50% of annual quota.',
    },
    {
      tier: 'Tier 1 - Base',
      from: 50,
      to: 100,
      rate: 8,
      accel: 1,
      notes: 'Base rate of 8% on first-year ACV booked between 50% and 100% of annual quota.',
    },
    {
      tier: 'Tier 2 - Accelerator',
      from: 100,
      to: 125,
      rate: 12,
      accel: 1.5,
      notes:
        '1.5x accelerator applies only to bookings above 100% of quota; it is not applied retrospectively.',
    },
    {
      tier: 'Tier 3 - Super accelerator',
      from: 125,
      to: 150,
      rate: 16,
      accel: 2,
      notes: '2x accelerator on bookings between 125% and 150% of quota.',
    },
    {
      tier: 'Tier 4 - Above 150%',
      from: 150,
      to: 'No cap',
      rate: 10,
      accel: 1.25,
      notes:
        'No earnings cap. Any single deal over US$1,000,000 ACV is reviewed by the Chief Revenue Officer before it is credited.',
    },
  ];
  for (const t of tiers) plan.addRow(t);
  styleHeader(plan, 6);
  plan.getColumn('notes').alignment = { wrapText: true, vertical: 'top' };

  const quotas = wb.addWorksheet('Regional Quotas');
  quotas.columns = [
    { header: 'Country', key: 'country', width: 16 },
    { header: 'Sales office', key: 'office', width: 14 },
    { header: 'Team lead role', key: 'lead', width: 40 },
    { header: 'Quota-carrying reps', key: 'reps', width: 12 },
    { header: 'Annual quota (USD)', key: 'annual', width: 18 },
    { header: 'Q1 quota (USD)', key: 'q1', width: 15 },
    { header: 'Q2 quota (USD)', key: 'q2', width: 15 },
    { header: 'Q3 quota (USD)', key: 'q3', width: 15 },
    { header: 'Q4 quota (USD)', key: 'q4', width: 15 },
    { header: 'Commission paid in', key: 'currency', width: 14 },
    { header: 'Notes', key: 'notes', width: 50 },
  ];
  const QUARTER_SPLIT = [0.2, 0.25, 0.25, 0.3] as const;
  const markets: {
    country: string;
    office: string;
    lead: string;
    reps: number;
    annual: number;
    currency: string;
    notes?: string;
  }[] = [
    {
      country: 'Singapore',
      office: 'Singapore',
      lead: 'Country Sales Manager, Singapore',
      reps: 6,
      annual: 9_600_000,
      currency: 'SGD',
      notes: 'Includes regional head-office accounts.',
    },
    {
      country: 'Malaysia',
      office: 'Singapore',
      lead: 'Senior Account Manager, Malaysia',
      reps: 3,
      annual: 3_600_000,
      currency: 'SGD',
      notes: 'Covered from Singapore.',
    },
    {
      country: 'Indonesia',
      office: 'Singapore',
      lead: 'Account Director, Indonesia',
      reps: 2,
      annual: 2_400_000,
      currency: 'SGD',
      notes: 'Covered from Singapore; distributor deals credited at 50%.',
    },
    {
      country: 'Australia',
      office: 'Sydney',
      lead: 'Country Sales Manager, Australia and New Zealand',
      reps: 7,
      annual: 11_200_000,
      currency: 'AUD',
      notes: 'Largest APAC market.',
    },
    {
      country: 'New Zealand',
      office: 'Sydney',
      lead: 'Country Sales Manager, Australia and New Zealand',
      reps: 2,
      annual: 2_000_000,
      currency: 'AUD',
      notes: 'Same team lead as Australia.',
    },
    {
      country: 'Japan',
      office: 'Singapore',
      lead: 'Channel Partner Manager, North Asia',
      reps: 2,
      annual: 3_000_000,
      currency: 'SGD',
      notes: 'Partner-led market.',
    },
    {
      country: 'Hong Kong',
      office: 'Singapore',
      lead: 'Account Director, Greater China',
      reps: 2,
      annual: 2_600_000,
      currency: 'SGD',
    },
    {
      country: 'India',
      office: 'Singapore',
      lead: 'Partner Development Manager, India',
      reps: 1,
      annual: 1_200_000,
      currency: 'SGD',
      notes: 'New market in 2026; partner-led.',
    },
  ];
  const quarterOf = (annual: number, q: 0 | 1 | 2 | 3): number => Math.round(annual * QUARTER_SPLIT[q]);
  for (const m of markets) {
    quotas.addRow({
      ...m,
      q1: quarterOf(m.annual, 0),
      q2: quarterOf(m.annual, 1),
      q3: quarterOf(m.annual, 2),
      q4: quarterOf(m.annual, 3),
    });
  }
  const totalAnnual = markets.reduce((sum, m) => sum + m.annual, 0);
  const totalRow = quotas.addRow({
    country: 'APAC total',
    lead: 'VP Sales, APAC',
    reps: markets.reduce((sum, m) => sum + m.reps, 0),
    annual: totalAnnual,
    q1: quarterOf(totalAnnual, 0),
    q2: quarterOf(totalAnnual, 1),
    q3: quarterOf(totalAnnual, 2),
    q4: quarterOf(totalAnnual, 3),
    notes: 'Quarterly split of annual quota: Q1 20%, Q2 25%, Q3 25%, Q4 30%.',
  });
  totalRow.font = { bold: true };
  for (const key of ['annual', 'q1', 'q2', 'q3', 'q4']) quotas.getColumn(key).numFmt = '"$"#,##0';
  styleHeader(quotas, 11);

  const rules = wb.addWorksheet('Plan Rules');
  rules.columns = [
    { header: 'Rule', key: 'rule', width: 28 },
    { header: 'Detail', key: 'detail', width: 110 },
  ];
  const ruleRows: [string, string][] = [
    [
      'Plan year',
      '1 January 2026 to 31 December 2026. Approved by the Chief Revenue Officer and the APAC Finance Director.',
    ],
    [
      'Eligible roles',
      "Account Executives, Account Managers, Account Directors and Partner Managers in APAC Sales with an individual quota. Team leads earn a 2% override on their team's bookings above 100% of team quota.",
    ],
    [
      'Commission base',
      'First-year annual contract value (ACV) of closed-won deals with a signed order form, converted to USD at the 2026 plan rates: US$1 = S$1.35 = A$1.55.',
    ],
    [
      'On-target commission',
      'At exactly 100% attainment a rep earns 4% of annual quota (nothing on the first 50%, 8% on the next 50%).',
    ],
    [
      'Payment timing',
      'Commission is paid monthly, in the payroll of the month after the deal is credited. Accelerators are calculated and trued up at the end of each quarter.',
    ],
    [
      'Clawback',
      'Commission is recovered from future payments if the customer cancels within 6 months or has not paid within 120 days of invoice.',
    ],
    [
      'New-logo SPIFF',
      'US$2,000 for each new customer signed between 1 January and 30 June 2026 with first-year ACV of US$100,000 or more.',
    ],
    [
      'Leavers',
      'Commission is paid on deals credited up to the last working day. Nothing is paid on deals credited after that date.',
    ],
    [
      'Disputes',
      "Raise disputes with APAC Sales Operations within 30 days of the commission statement. The CRO's decision is final.",
    ],
    [
      'Confidentiality',
      'This plan is Confidential. Do not share it outside APAC Sales, Sales Operations, Finance and HR.',
    ],
  ];
  for (const [rule, detail] of ruleRows) rules.addRow({ rule, detail });
  rules.getColumn('detail').alignment = { wrapText: true, vertical: 'top' };
  styleHeader(rules, 2);

  return workbookBytes(wb);
}

// ---------------------------------------------------------------------------
// XLSX: company holidays 2027
// ---------------------------------------------------------------------------

type Holiday = {
  date: string;
  holiday: string;
  region: 'UK' | 'US' | 'APAC';
  country: string;
  closed: boolean;
  notes?: string;
};

const UK_COUNTRY = 'United Kingdom (England and Wales)';
const US_COUNTRY = 'United States';
const SG_COUNTRY = 'Singapore';
const AU_COUNTRY = 'Australia (New South Wales)';
const SG_PROVISIONAL =
  'Provisional: date follows the lunar or Islamic calendar and will be confirmed when the Ministry of Manpower gazettes the 2027 holidays.';
const SG_SATURDAY =
  'Falls on a Saturday. Office closed as usual at the weekend; Singapore staff receive 1 day off in lieu, to be taken by 31 December 2027.';

const HOLIDAYS_2027: Holiday[] = [
  // UK (London and Manchester offices)
  { date: '2027-01-01', holiday: "New Year's Day", region: 'UK', country: UK_COUNTRY, closed: true },
  { date: '2027-03-26', holiday: 'Good Friday', region: 'UK', country: UK_COUNTRY, closed: true },
  { date: '2027-03-29', holiday: 'Easter Monday', region: 'UK', country: UK_COUNTRY, closed: true },
  { date: '2027-05-03', holiday: 'Early May bank holiday', region: 'UK', country: UK_COUNTRY, closed: true },
  { date: '2027-05-31', holiday: 'Spring bank holiday', region: 'UK', country: UK_COUNTRY, closed: true },
  { date: '2027-08-30', holiday: 'Summer bank holiday', region: 'UK', country: UK_COUNTRY, closed: true },
  {
    date: '2027-12-27',
    holiday: 'Christmas Day (substitute day)',
    region: 'UK',
    country: UK_COUNTRY,
    closed: true,
    notes: '25 December 2027 falls on a Saturday.',
  },
  {
    date: '2027-12-28',
    holiday: 'Boxing Day (substitute day)',
    region: 'UK',
    country: UK_COUNTRY,
    closed: true,
    notes: '26 December 2027 falls on a Sunday.',
  },
  ...['2027-12-29', '2027-12-30', '2027-12-31'].map(
    (date): Holiday => ({
      date,
      holiday: 'Christmas shutdown',
      region: 'UK',
      country: UK_COUNTRY,
      closed: true,
      notes: 'Company shutdown, not a bank holiday: book this day from your annual leave allowance.',
    }),
  ),
  // US (New York and Chicago offices): the 11 federal holidays
  { date: '2027-01-01', holiday: "New Year's Day", region: 'US', country: US_COUNTRY, closed: true },
  {
    date: '2027-01-18',
    holiday: 'Martin Luther King Jr. Day',
    region: 'US',
    country: US_COUNTRY,
    closed: true,
  },
  {
    date: '2027-02-15',
    holiday: "Presidents' Day (Washington's Birthday)",
    region: 'US',
    country: US_COUNTRY,
    closed: true,
  },
  { date: '2027-05-31', holiday: 'Memorial Day', region: 'US', country: US_COUNTRY, closed: true },
  {
    date: '2027-06-18',
    holiday: 'Juneteenth National Independence Day (observed)',
    region: 'US',
    country: US_COUNTRY,
    closed: true,
    notes: '19 June 2027 falls on a Saturday.',
  },
  {
    date: '2027-07-05',
    holiday: 'Independence Day (observed)',
    region: 'US',
    country: US_COUNTRY,
    closed: true,
    notes: '4 July 2027 falls on a Sunday.',
  },
  { date: '2027-09-06', holiday: 'Labor Day', region: 'US', country: US_COUNTRY, closed: true },
  {
    date: '2027-10-11',
    holiday: "Columbus Day / Indigenous Peoples' Day",
    region: 'US',
    country: US_COUNTRY,
    closed: true,
  },
  { date: '2027-11-11', holiday: 'Veterans Day', region: 'US', country: US_COUNTRY, closed: true },
  { date: '2027-11-25', holiday: 'Thanksgiving Day', region: 'US', country: US_COUNTRY, closed: true },
  {
    date: '2027-12-24',
    holiday: 'Christmas Day (observed)',
    region: 'US',
    country: US_COUNTRY,
    closed: true,
    notes: '25 December 2027 falls on a Saturday.',
  },
  {
    date: '2027-12-31',
    holiday: "New Year's Day 2028 (observed)",
    region: 'US',
    country: US_COUNTRY,
    closed: true,
    notes: '1 January 2028 falls on a Saturday. Counts as one of the 11 holidays for 2028.',
  },
  // APAC: Singapore office and Tuas distribution centre
  { date: '2027-01-01', holiday: "New Year's Day", region: 'APAC', country: SG_COUNTRY, closed: true },
  {
    date: '2027-02-06',
    holiday: 'Chinese New Year (day 1)',
    region: 'APAC',
    country: SG_COUNTRY,
    closed: false,
    notes: SG_SATURDAY,
  },
  {
    date: '2027-02-08',
    holiday: 'Chinese New Year (day 2, holiday in lieu)',
    region: 'APAC',
    country: SG_COUNTRY,
    closed: true,
    notes: 'Day 2 falls on Sunday 7 February, so Monday is the public holiday.',
  },
  {
    date: '2027-03-10',
    holiday: 'Hari Raya Puasa',
    region: 'APAC',
    country: SG_COUNTRY,
    closed: true,
    notes: SG_PROVISIONAL,
  },
  { date: '2027-03-26', holiday: 'Good Friday', region: 'APAC', country: SG_COUNTRY, closed: true },
  {
    date: '2027-05-01',
    holiday: 'Labour Day',
    region: 'APAC',
    country: SG_COUNTRY,
    closed: false,
    notes: SG_SATURDAY,
  },
  {
    date: '2027-05-17',
    holiday: 'Hari Raya Haji',
    region: 'APAC',
    country: SG_COUNTRY,
    closed: true,
    notes: SG_PROVISIONAL,
  },
  {
    date: '2027-05-20',
    holiday: 'Vesak Day',
    region: 'APAC',
    country: SG_COUNTRY,
    closed: true,
    notes: SG_PROVISIONAL,
  },
  { date: '2027-08-09', holiday: 'National Day', region: 'APAC', country: SG_COUNTRY, closed: true },
  {
    date: '2027-10-29',
    holiday: 'Deepavali',
    region: 'APAC',
    country: SG_COUNTRY,
    closed: true,
    notes: SG_PROVISIONAL,
  },
  {
    date: '2027-12-25',
    holiday: 'Christmas Day',
    region: 'APAC',
    country: SG_COUNTRY,
    closed: false,
    notes: SG_SATURDAY,
  },
  // APAC: Sydney office and fulfilment hub
  { date: '2027-01-01', holiday: "New Year's Day", region: 'APAC', country: AU_COUNTRY, closed: true },
  { date: '2027-01-26', holiday: 'Australia Day', region: 'APAC', country: AU_COUNTRY, closed: true },
  { date: '2027-03-26', holiday: 'Good Friday', region: 'APAC', country: AU_COUNTRY, closed: true },
  { date: '2027-03-29', holiday: 'Easter Monday', region: 'APAC', country: AU_COUNTRY, closed: true },
  {
    date: '2027-04-25',
    holiday: 'Anzac Day',
    region: 'APAC',
    country: AU_COUNTRY,
    closed: false,
    notes: 'Falls on a Sunday; no additional public holiday in NSW.',
  },
  { date: '2027-06-14', holiday: "King's Birthday", region: 'APAC', country: AU_COUNTRY, closed: true },
  {
    date: '2027-08-02',
    holiday: 'Bank Holiday (NSW banks only)',
    region: 'APAC',
    country: AU_COUNTRY,
    closed: false,
    notes: 'Applies to banks and financial institutions only; the Sydney office is open.',
  },
  { date: '2027-10-04', holiday: 'Labour Day', region: 'APAC', country: AU_COUNTRY, closed: true },
  {
    date: '2027-12-27',
    holiday: 'Christmas Day (additional day)',
    region: 'APAC',
    country: AU_COUNTRY,
    closed: true,
    notes: '25 December 2027 falls on a Saturday.',
  },
  {
    date: '2027-12-28',
    holiday: 'Boxing Day (additional day)',
    region: 'APAC',
    country: AU_COUNTRY,
    closed: true,
    notes: '26 December 2027 falls on a Sunday.',
  },
];

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const REGION_ORDER = { UK: 0, US: 1, APAC: 2 } as const;

async function buildHolidaysXlsx(): Promise<Uint8Array> {
  const wb = newWorkbook(
    'Company Holidays 2027',
    'Public holidays and office closures in 2027 for UK, US and APAC offices',
    'Office closures for 2027 across UK (London, Manchester), US (New York, Chicago) and APAC (Singapore, Sydney).',
  );
  const ws = wb.addWorksheet('Holidays');
  ws.columns = [
    { header: 'Date', key: 'date', width: 14 },
    { header: 'Day', key: 'day', width: 12 },
    { header: 'Holiday', key: 'holiday', width: 44 },
    { header: 'Region', key: 'region', width: 8 },
    { header: 'Country', key: 'country', width: 34 },
    { header: 'Office closed', key: 'closed', width: 13 },
    { header: 'Notes', key: 'notes', width: 90 },
  ];
  const sorted = [...HOLIDAYS_2027].sort(
    (a, b) =>
      a.date.localeCompare(b.date) ||
      REGION_ORDER[a.region] - REGION_ORDER[b.region] ||
      a.country.localeCompare(b.country),
  );
  for (const h of sorted) {
    const date = new Date(`${h.date}T00:00:00.000Z`);
    ws.addRow({
      date,
      day: WEEKDAYS[date.getUTCDay()] ?? '',
      holiday: h.holiday,
      region: h.region,
      country: h.country,
      closed: h.closed ? 'Yes' : 'No',
      notes: h.notes,
    });
  }
  ws.getColumn('date').numFmt = 'dd mmm yyyy';
  styleHeader(ws, 7);
  return workbookBytes(wb);
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  await mkdir(OUT_DIR, { recursive: true });
  await withFrozenClock(async () => {
    await writeOutput('travel-and-expense-policy.pdf', await buildTravelPdf());
    await writeOutput('it-security-policy.docx', await Packer.toBuffer(buildItSecurityDocx()));
    await writeOutput('us-finance-month-end-close.docx', await Packer.toBuffer(buildMonthEndCloseDocx()));
    await writeOutput('apac-sales-commission-2026.xlsx', await buildCommissionXlsx());
    await writeOutput('company-holidays-2027.xlsx', await buildHolidaysXlsx());
  });
}

await main();
