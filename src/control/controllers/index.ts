/**
 * Every controller the manager knows, by upstream's name. One line per controller: its file exports a
 * ControllerDescriptor.
 */
import type { ControllerDescriptor } from './controller.js';

export const CONTROLLERS: ControllerDescriptor[] = [];
