/** How loudly an alarm speaks. */
export enum AlarmSeverity {
  /** Pages: part of the service's health alarm, which notifies the platform's alarm topic. */
  CRITICAL = 'critical',
  /** Notifies the platform's warning topic; never pages. */
  WARNING = 'warning',
}
