// Catches a page that throws while rendering, so one broken view never blanks the whole console.

import { Component, type ReactNode } from 'react';

export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    if (this.state.error) {
      return (
        <div className="error-box" role="alert">
          This page failed to render: {this.state.error.message}
        </div>
      );
    }
    return this.props.children;
  }
}
