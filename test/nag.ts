import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';

/** One unacknowledged finding of a validation plugin (cdk-nag, CloudFormation Validate). */
export interface Finding {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
  readonly description: string;
}

/**
 * Synthesizes `app` and returns every finding left after acknowledgements, errors and warnings
 * alike. A finding of severity error already fails `app.synth()`; warnings are read from the
 * validation report the synthesis writes into the cloud assembly.
 */
export function unacknowledgedFindings(app: App): Finding[] {
  const assembly = app.synth();
  const reportFile = path.join(assembly.directory, 'validation-report.json');
  if (!fs.existsSync(reportFile)) return [];
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  const findings: Finding[] = [];
  for (const plugin of report.pluginReports ?? []) {
    for (const v of plugin.violations ?? []) {
      for (const r of v.violatingConstructs ?? v.violatingResources ?? [{}]) {
        findings.push({
          plugin: plugin.pluginName,
          rule: v.ruleName,
          severity: v.severity,
          path: r.constructPath ?? r.cloudFormationResource?.logicalId ?? '',
          description: v.description,
        });
      }
    }
  }
  return findings;
}
