// 'E': no body; ends a block of a streamed transaction. Other transactions may follow before its next block.
export interface StreamStop {
  tag: 'streamStop';
}

export function readStreamStop(): StreamStop {
  return { tag: 'streamStop' };
}
