// Public surface of the report parser: bounces, delays, complaints and auto-replies mailed back to the relay.
export { ReportParser, parseReport, parseReportSync, classifyReport, DEFAULT_REPORT_LIMITS, type ReportLimits } from './report-parser.js';
export { FEEDBACK_REASONS, FEEDBACK_TYPES, isHardReason, type FeedbackReason, type FeedbackRecord, type FeedbackType } from './feedback-record.js';
