module.exports = {
  displayName: 'trackers',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/trackers',
};
