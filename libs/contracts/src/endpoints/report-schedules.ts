import { endpoint, errorResponse as error, commonErrors as common, idParams, notHere } from '../endpoint';
import {
  ReportRun,
  ReportRunList,
  ReportRunListQuery,
  ReportSchedule,
  ReportScheduleInput,
  ReportScheduleList,
  ReportScheduleUpdate,
} from '../report-schedules';

/** Each user's own schedules: another user's, or another organization's, is a 404. */
export const REPORT_SCHEDULES_ENDPOINTS = {
  listReportSchedules: endpoint({
    method: 'get',
    path: '/api/v1/report-schedules',
    summary: 'The caller’s scheduled reports',
    tag: 'reports',
    security: 'user',
    responses: { 200: { description: 'schedules', schema: ReportScheduleList }, ...common },
  }),
  createReportSchedule: endpoint({
    method: 'post',
    path: '/api/v1/report-schedules',
    summary:
      'Schedule a report (trips, stops, summary, events) of some vehicles, e-mailed as PDF and CSV daily, weekly (a weekday) or monthly (a day of the month) at an hour of a time zone, for the previous complete day, week (Monday to Sunday) or month',
    tag: 'reports',
    security: 'user',
    body: ReportScheduleInput,
    responses: {
      201: { description: 'created', schema: ReportSchedule },
      ...common,
      409: error('too many schedules for this user'),
    },
  }),
  getReportSchedule: endpoint({
    method: 'get',
    path: '/api/v1/report-schedules/:id',
    summary: 'One of the caller’s scheduled reports',
    tag: 'reports',
    security: 'user',
    params: idParams,
    responses: { 200: { description: 'the schedule', schema: ReportSchedule }, ...common, ...notHere('schedule') },
  }),
  updateReportSchedule: endpoint({
    method: 'patch',
    path: '/api/v1/report-schedules/:id',
    summary: 'Change a scheduled report; the next send is computed again from the timing',
    tag: 'reports',
    security: 'user',
    params: idParams,
    body: ReportScheduleUpdate,
    responses: { 200: { description: 'the schedule', schema: ReportSchedule }, ...common, ...notHere('schedule') },
  }),
  deleteReportSchedule: endpoint({
    method: 'delete',
    path: '/api/v1/report-schedules/:id',
    summary: 'Delete a scheduled report and its run log (runs not sent yet never are)',
    tag: 'reports',
    security: 'user',
    params: idParams,
    responses: { 204: { description: 'deleted' }, ...common, ...notHere('schedule') },
  }),
  runReportSchedule: endpoint({
    method: 'post',
    path: '/api/v1/report-schedules/:id/run',
    summary:
      'Send the report now for the last complete period (queued; the worker sends it); a failed run of that period is queued again',
    tag: 'reports',
    security: 'user',
    params: idParams,
    responses: {
      202: { description: 'queued', schema: ReportRun },
      ...common,
      ...notHere('schedule'),
      409: error('the last complete period was already sent'),
    },
  }),
  listReportRuns: endpoint({
    method: 'get',
    path: '/api/v1/report-schedules/:id/runs',
    summary: 'The runs of a scheduled report, newest first: period, status, attempts, error',
    tag: 'reports',
    security: 'user',
    params: idParams,
    query: ReportRunListQuery,
    responses: { 200: { description: 'runs', schema: ReportRunList }, ...common, ...notHere('schedule') },
  }),
};
