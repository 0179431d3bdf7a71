import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes, so an operator finds runs in the Temporal Web UI with one filter
 * (e.g. `DvctStage = "verification-window"` or `DvctParticipants = "org-p1"`).
 * The dev server registers them at start from `SEARCH_ATTRIBUTES` (scripts/ and test setup).
 */
export const DvctStage = defineSearchAttributeKey('DvctStage', SearchAttributeType.KEYWORD);
export const DvctContractId = defineSearchAttributeKey('DvctContractId', SearchAttributeType.KEYWORD);
export const DvctParticipants = defineSearchAttributeKey('DvctParticipants', SearchAttributeType.KEYWORD_LIST);
export const DvctReviewStatus = defineSearchAttributeKey('DvctReviewStatus', SearchAttributeType.KEYWORD);

/** name → the type word `temporal server start-dev --search-attribute Name=Type` expects. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'KeywordList'> = {
  DvctStage: 'Keyword',
  DvctContractId: 'Keyword',
  DvctParticipants: 'KeywordList',
  DvctReviewStatus: 'Keyword',
};
