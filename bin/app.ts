#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildMainApp } from './main';

buildMainApp(new App());
