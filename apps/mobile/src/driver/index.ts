// The driver mode's public surface for the app shell (apps/mobile/src/app).
export { DriverHome } from './DriverHome';
export { DiagnosticsScreen, currentDiagnostics, type DiagnosticsView } from './DiagnosticsScreen';
export { ProvisionScreen } from './ProvisionScreen';
export { LOCATION_TASK, startTracking, stopTracking } from './location-task';
export { drainOnForeground, resumeTrackingOnLaunch } from './launch';
export { UPLOAD_TASK, onUploadTask, registerUploadTask, unregisterUploadTask } from './upload-task';
export { addDriverTexts } from './i18n';
