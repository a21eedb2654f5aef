import { describe, expect, it } from 'vitest';
import { seriesProvenance } from '../../src/build/series.js';

const mail = (id: string, subject: string) => `From abc Mon Sep 17 00:00:00 2001\nMessage-Id: <${id}>\nSubject: ${subject}\n\nbody\n`;

describe("a series' provenance, from its mboxes", () => {
  it("version, the cover letter's Message-Id and subject, and the patch count (the cover letter is not a patch)", () => {
    const mbox = [
      mail('20260612-cover@amd.com', '[PATCH v8 00/18] AMDGPU SVM support based on DRM'),
      mail('20260612-1@amd.com', '[PATCH v8 01/18] drm/amdgpu: add the gpusvm range ops'),
      mail('20260612-2@amd.com', '[PATCH v8 02/18] drm/amdgpu: migrate with drm_pagemap'),
    ].join('');
    expect(seriesProvenance([mbox])).toEqual({ version: 8, messageId: '20260612-cover@amd.com', subject: 'AMDGPU SVM support based on DRM', patches: 2 });
  });

  it('a plain git format-patch series: no version, every mail a patch', () => {
    const mbox = [mail('a@x', '[PATCH 1/2] one'), mail('b@x', '[PATCH 2/2] two')].join('');
    expect(seriesProvenance([mbox])).toEqual({ messageId: 'a@x', patches: 2 });
  });
});
